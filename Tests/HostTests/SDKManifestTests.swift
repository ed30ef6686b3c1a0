import Foundation
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// What a third party links must be linkable from another package: SwiftPM refuses a product
/// as a dependency when any target it reaches carries unsafe flags.
@Suite("the SDK products in Package.swift")
struct SDKManifestTests {
  static func manifest() throws -> [String: Any] {
    let swift =
      ProcessInfo.processInfo.environment["PATH"].flatMap { path in
        path.split(separator: ":").map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) }
      } ?? "/opt/swift/usr/bin/swift"
    // A private scratch path: the package's own .build is locked by the running `swift test`.
    let scratch = TestEnvironment.temporaryFolder("dump-package")
    let result = Command.run(
      [swift, "package", "--package-path", TestEnvironment.packageRoot, "--scratch-path", scratch, "dump-package"])
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(try result.json() as? [String: Any], "\(result.stdout)")
  }

  /// Every target of `product` and the targets they reach inside this package.
  static func closure(of product: String, in manifest: [String: Any]) -> [[String: Any]] {
    let targets = manifest["targets"] as? [[String: Any]] ?? []
    let byName = Dictionary(targets.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    let products = manifest["products"] as? [[String: Any]] ?? []
    var pending = (products.first { $0["name"] as? String == product }?["targets"] as? [String]) ?? []
    var seen: [String: [String: Any]] = [:]
    while let name = pending.popLast() {
      guard seen[name] == nil, let target = byName[name] else { continue }
      seen[name] = target
      for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
        if let byTarget = (dependency["byName"] ?? dependency["target"]) as? [Any],
          let inner = byTarget.first as? String
        {
          pending.append(inner)
        }
      }
    }
    return Array(seen.values)
  }

  @Test("PluginKit and GoldfishTesting reach no target with unsafe flags", arguments: ["PluginKit", "GoldfishTesting"])
  func noUnsafeFlags(product: String) throws {
    let manifest = try Self.manifest()
    let targets = Self.closure(of: product, in: manifest)
    #expect(targets.contains { $0["name"] as? String == product }, "the product \(product) is missing")
    for target in targets {
      let text = String(decoding: try JSONSerialization.data(withJSONObject: target["settings"] ?? []), as: UTF8.self)
      #expect(!text.contains("unsafeFlags"), "\(target["name"] ?? "?") in \(product) carries unsafe flags: \(text)")
    }
  }

  @Test("PluginKit is the SDK only: it needs neither libcurl nor libcrypto nor the house's helpers")
  func pluginKitDependencies() throws {
    let names = Set(Self.closure(of: "PluginKit", in: try Self.manifest()).compactMap { $0["name"] as? String })
    #expect(names == ["PluginKit", "PluginABI", "CPluginSupport"], "\(names.sorted())")
  }
}
