import Foundation
import PluginKit
import PluginSupport

/// goldfish-agent made runnable inside a stage image that has no Swift runtime or libcurl:
/// a folder with the binary and every shared library it needs except glibc's own, which the
/// image brings (the images are Debian like the machines goldfish is built on, so the same
/// glibc). Mounted read-only into a warm container; the agent starts with LD_LIBRARY_PATH
/// on `lib/`, which it never passes on to a job (a job's environment is built from a fixed
/// list of keys, docs/goldfish-agent.md).
///
///   <cache>/agent-bundle-<key>/goldfish-agent
///   <cache>/agent-bundle-<key>/lib/<soname>...
///
/// The key is the binary's device, inode, size and modification time: a rebuilt agent gets a
/// new bundle, an unchanged one reuses it.
struct AgentBundle {
  let folder: String

  var agent: String { folder + "/goldfish-agent" }
  var libraries: String { folder + "/lib" }

  /// glibc's libraries: the image's must be used, with its own loader.
  static let glibcPrefixes = [
    "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "ld-linux", "libresolv.so", "libutil.so",
    "libmvec.so", "libanl.so", "libnsl.so", "linux-vdso", "linux-gate",
  ]

  /// The bundle of `binary` under `cache`, built once (by whichever caller gets there first).
  static func prepare(binary: String, cache: String) throws(PluginError) -> AgentBundle {
    guard let info = POSIXFile.fileInfo(binary) else {
      throw POSIXFile.error(errno, "cannot read goldfish-agent", binary)
    }
    let key = "\(info.st_dev)-\(info.st_ino)-\(info.st_size)-\(info.st_mtim.tv_sec)"
    let bundle = AgentBundle(folder: cache + "/agent-bundle-" + key)
    if FileManager.default.isExecutableFile(atPath: bundle.agent) { return bundle }

    try POSIXFile.makeDirectories(cache)
    let staging = cache + "/.agent-bundle-\(key)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try POSIXFile.makeDirectories(staging + "/lib")
      for library in try sharedLibraries(of: binary) {
        try place(library.path, at: staging + "/lib/" + library.name)
      }
      try place(binary, at: staging + "/goldfish-agent")
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
    // Another builder may have finished first; theirs is as good as ours.
    if rename(staging, bundle.folder) != 0 {
      try? FileManager.default.removeItem(atPath: staging)
      guard FileManager.default.isExecutableFile(atPath: bundle.agent) else {
        throw POSIXFile.error(errno, "cannot move the agent bundle into place", bundle.folder)
      }
    }
    return bundle
  }

  /// Every library the dynamic loader would load for `binary` (ldd's answer), without glibc.
  static func sharedLibraries(of binary: String) throws(PluginError) -> [(name: String, path: String)] {
    let output = try run(ldd(), [binary])
    return parse(lddOutput: output).filter { library in
      !glibcPrefixes.contains { library.name.hasPrefix($0) }
    }
  }

  /// Lines `name => /path (0x…)`; a library ldd could not find fails the bundle, naming it.
  static func parse(lddOutput: String) -> [(name: String, path: String)] {
    var libraries: [(name: String, path: String)] = []
    for line in lddOutput.split(separator: "\n") {
      let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " => ")
      guard parts.count == 2 else { continue }
      let path = parts[1].components(separatedBy: " (")[0].trimmingCharacters(in: .whitespaces)
      libraries.append((name: parts[0], path: path))
    }
    return libraries
  }

  private static func ldd() throws(PluginError) -> String {
    for candidate in ["/usr/bin/ldd", "/bin/ldd"] where FileManager.default.isExecutableFile(atPath: candidate) {
      return candidate
    }
    throw PluginError(
      .unsupported, "cannot find ldd, which lists the libraries goldfish-agent needs inside a warm container",
      detail: ["hint": "install libc-bin"])
  }

  /// Runs a program with argv (no shell) and returns its standard output.
  private static func run(_ program: String, _ arguments: [String]) throws(PluginError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw PluginError(.internal, "cannot start \(program): \(error.localizedDescription)")
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw PluginError(
        .internal, "\(program) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
    }
    if let missing = text.split(separator: "\n").first(where: { $0.contains("not found") }) {
      throw PluginError(
        .unsupported,
        "goldfish-agent needs a library this machine lacks: \(missing.trimmingCharacters(in: .whitespaces))")
    }
    return text
  }

  /// A hard link when the file system allows (no copy of a 100 MB runtime per project), a copy otherwise.
  private static func place(_ source: String, at destination: String) throws(PluginError) {
    guard let resolved = realpath(source, nil) else { throw POSIXFile.error(errno, "cannot resolve", source) }
    let real = String(cString: resolved)
    free(resolved)
    if link(real, destination) == 0 { return }
    try POSIXFile.atomicCopy(from: real, to: destination, mode: 0o755)
  }
}
