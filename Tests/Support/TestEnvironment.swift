import Foundation

/// Where the built products are, and the plugin fixtures compiled once per test process.
enum TestEnvironment {
  static let packageRoot: String = {
    // Tests/Support/TestEnvironment.swift → the package root.
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }()

  /// The folder holding the goldfish executable and the plugin .so files of this build.
  static let binFolder: String = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      if FileManager.default.isExecutableFile(atPath: folder.path + "/goldfish") { return folder.path }
      folder = folder.deletingLastPathComponent()
    }
    return packageRoot + "/.build/debug"
  }()

  static var goldfish: String { binFolder + "/goldfish" }

  static func plugin(_ product: String) -> String { binFolder + "/lib\(product).so" }

  /// Fixtures from Tests/Fixtures/plugins, built with plain `cc` outside SwiftPM.
  static let fixtures: String = {
    let folder = NSTemporaryDirectory() + "goldfish-fixtures-\(getpid())"
    let result = Command.run(
      ["/bin/bash", packageRoot + "/Tests/Fixtures/plugins/build.sh", folder], environment: nil)
    precondition(result.status == 0, "building the plugin fixtures failed:\n\(result.stderr)")
    return folder
  }()

  static func fixture(_ name: String) -> String { fixtures + "/lib\(name).so" }

  static func temporaryFolder(_ label: String) -> String {
    let path = NSTemporaryDirectory() + "goldfish-test-\(label)-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
