#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Looks at a candidate file before dlopen so the common mistakes get a precise reason.
enum FileCheck {
  static func problem(at path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT {
        return "no such file: fix the path in goldfish.yaml (plugins.paths) or build the plugin first"
      }
      return "cannot be read (\(String(cString: strerror(errno)))): check its permissions"
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      return "is a directory: list it under plugins.search_paths, not plugins.paths"
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      return "cannot be read (\(String(cString: strerror(errno)))): check its permissions"
    }
    defer { close(fd) }
    var header = [UInt8](repeating: 0, count: 18)
    let count = read(fd, &header, header.count)
    guard count >= 18, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46
    else {
      return "is not a shared library (not an ELF file): build it with cc -shared -fPIC or swift build"
    }
    let type = UInt16(header[16]) | UInt16(header[17]) << 8
    if type == 2 {
      return "is an executable, not a shared library: build it with -shared -fPIC"
    }
    if type != 3 {
      return "is an ELF object of type \(type), not a shared library: link it with -shared"
    }
    return nil
  }

  /// Rewords dlopen's messages into what to do about them.
  static func explain(dlopenError message: String) -> String {
    if message.contains("position-independent executable") {
      return "is an executable, not a shared library: build it with -shared -fPIC"
    }
    if message.contains("wrong ELF class") || message.contains("invalid ELF header") {
      return "is built for another machine (\(message)): rebuild it for this one"
    }
    if message.contains("cannot open shared object file") {
      return "needs a library that is not installed (\(message)): install it or link it statically"
    }
    return "cannot be loaded: \(message)"
  }
}
