// swift-tools-version: 6.0
import PackageDescription

// A Swift plugin built outside the goldfish package, the way a third party builds one: it
// depends on goldfish (here by path; elsewhere by its git URL) and links only the PluginKit SDK.
// Its tests run goldfish's conformance suite (GoldfishTesting) on the built .so.
let package = Package(
  name: "swiftdir-plugin",
  platforms: [.macOS(.v13)],
  products: [
    // lib<Name>.so is the plugin file goldfish loads.
    .library(name: "SwiftDir", type: .dynamic, targets: ["SwiftDir"])
  ],
  dependencies: [
    .package(name: "goldfish", path: "../..")
  ],
  targets: [
    .target(
      name: "SwiftDir", dependencies: [.product(name: "PluginKit", package: "goldfish")],
      swiftSettings: [.swiftLanguageMode(.v6)]),
    .testTarget(
      name: "SwiftDirTests", dependencies: [.product(name: "GoldfishTesting", package: "goldfish")],
      swiftSettings: [.swiftLanguageMode(.v6)]),
  ]
)
