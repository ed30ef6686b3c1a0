// swift-tools-version: 6.0
import PackageDescription

// Plugins are dynamic libraries loaded with dlopen; each gets its own product so
// `swift build` leaves lib<Name>.so next to the goldfish executable.
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "goldfish",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "goldfish", targets: ["goldfish"]),
    .executable(name: "goldfish-runner", targets: ["goldfish-runner"]),
    .executable(name: "goldfish-agent", targets: ["goldfish-agent"]),
    .library(name: "Host", targets: ["Host"]),
    .library(name: "PluginKit", targets: ["PluginKit"]),
    // The conformance suite as a library, so a plugin's own `swift test` runs what `plugins check` runs.
    .library(name: "GoldfishTesting", targets: ["GoldfishTesting"]),
    .library(name: "GoldfishLocal", type: .dynamic, targets: ["GoldfishLocal"]),
    .library(name: "GoldfishDocker", type: .dynamic, targets: ["GoldfishDocker"]),
    .library(name: "GoldfishGCE", type: .dynamic, targets: ["GoldfishGCE"]),
    .library(name: "GoldfishGCS", type: .dynamic, targets: ["GoldfishGCS"]),
    .library(name: "GoldfishSlurm", type: .dynamic, targets: ["GoldfishSlurm"]),
    .library(name: "GoldfishCDir", type: .dynamic, targets: ["GoldfishCDir"]),
    .library(name: "GoldfishSwiftExample", type: .dynamic, targets: ["GoldfishSwiftExample"]),
    // A test fixture (not installed): a run backend with one mistake on demand, for the conformance suite's tests.
    .library(name: "SloppyRunFixture", type: .dynamic, targets: ["SloppyRunFixture"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    // The SDK's StdioTransport takes SystemPackage FileDescriptors (the server hands it a private stdout).
    .package(url: "https://github.com/apple/swift-system", from: "1.0.0"),
    // RS256 signing of service-account JWTs (gcs credentials_file).
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    // Property-based tests of everything that parses user or plugin input (Tests/HostTests/Reliability).
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    // The web face (`goldfish web`, Sources/Web): an HTTP server over SwiftNIO.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    // The bound port of `goldfish web --port 0` (NIOCore's Channel), already in the graph through Hummingbird.
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
  ],
  targets: [
    .target(name: "PluginABI", path: "Sources/PluginABI"),
    .systemLibrary(
      name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
      providers: [.apt(["libcurl4-openssl-dev"])]),
    .target(name: "CCurlShim", dependencies: ["CCurl"], path: "Sources/CCurlShim"),
    .target(name: "CPluginSupport", path: "Sources/CPluginSupport"),
    .systemLibrary(
      name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      name: "CGit2", path: "Sources/CGit2", pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]),
    // gzip for database backups (Host/Backups); zlib1g-dev is in scripts/deps.sh.
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // The SDK a plugin links, and nothing more: payloads, service protocols, the C table export,
    // errors, JSON, storage keys, logging through the host. No unsafe flags: SwiftPM refuses a
    // product with them as another package's dependency, and third parties depend on this one.
    .target(
      name: "PluginKit", dependencies: ["PluginABI", "CPluginSupport"], path: "Sources/PluginKit",
      swiftSettings: swiftSettings),
    // The house's own helpers (agent mailbox protocol, HTTP over libcurl, tar, spawn, hashing,
    // file copies). No unsafe flags either: GoldfishTesting needs Host, which needs this target,
    // and SwiftPM refuses a product when any target it reaches carries them.
    .target(
      name: "PluginSupport", dependencies: ["PluginKit", "CCurlShim", "CPluginSupport", "CCrypto"],
      path: "Sources/PluginSupport",
      swiftSettings: swiftSettings),
    .target(
      name: "Host",
      dependencies: [
        "PluginABI", "PluginKit", "PluginSupport", "CGit2", "CZlib", "CCrypto",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      path: "Sources/Host", swiftSettings: swiftSettings),
    // The MCP face (`goldfish serve`), beside the CLI: both are faces of Host.
    .target(
      name: "GoldfishMCP",
      dependencies: [
        "Host", "PluginKit",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "MCP", package: "swift-sdk"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      path: "Sources/GoldfishMCP", swiftSettings: swiftSettings),
    // The web face (`goldfish web`): routes and HTML over Host's views, beside the CLI and MCP.
    .target(
      name: "Web",
      dependencies: [
        "Host", "PluginKit", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
      ],
      path: "Sources/Web", swiftSettings: swiftSettings),
    .target(
      name: "GoldfishTesting", dependencies: ["Host", "PluginKit", "PluginSupport"], path: "Sources/GoldfishTesting",
      swiftSettings: swiftSettings),
    .executableTarget(
      name: "goldfish",
      dependencies: [
        "Host", "GoldfishMCP", "GoldfishTesting", "Web", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/goldfish", swiftSettings: swiftSettings),
    .target(name: "CProcessTree", path: "Sources/CProcessTree"),
    .executableTarget(name: "goldfish-runner", dependencies: ["CProcessTree"], path: "Sources/Runner"),
    .target(name: "CAgentSupport", dependencies: ["CProcessTree"], path: "Sources/CAgentSupport"),
    .executableTarget(
      name: "goldfish-agent", dependencies: ["PluginKit", "PluginSupport", "CAgentSupport", "GCSClient"],
      path: "Sources/Agent",
      swiftSettings: swiftSettings,
      // Self-contained: a VM has no Swift runtime. An executable may carry its own standard
      // library; the host and the plugins may not (they share one runtime, platform.md).
      // Foundation's static archive needs CoreFoundation and ICU named explicitly.
      linkerSettings: [
        .unsafeFlags([
          "-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationEssentials",
          "-lFoundationInternationalization", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
          "-l_FoundationCollections", "-lswiftSynchronization", "-Xlinker", "--end-group",
        ])
      ]),
    // Benchmark helper for bench/run.py (ABI call round trip); not a product, not shipped.
    .executableTarget(
      name: "goldfish-bench", dependencies: ["Host", "PluginKit", "PluginSupport", "PluginABI"], path: "Sources/Bench",
      swiftSettings: swiftSettings),
    .target(
      name: "GoldfishLocal", dependencies: ["PluginKit", "PluginSupport"], path: "Plugins/Local",
      swiftSettings: swiftSettings),
    .target(
      name: "GoldfishDocker", dependencies: ["PluginKit", "PluginSupport", "GCSClient"], path: "Plugins/LocalDocker",
      swiftSettings: swiftSettings),
    .target(
      name: "GoldfishGCE", dependencies: ["PluginKit", "PluginSupport", "GCSClient"], path: "Plugins/GCE",
      swiftSettings: swiftSettings),
    // The Cloud Storage JSON client (credentials, retries, transfers) shared by the gcs storage,
    // the gce backend (its mailbox) and goldfish-agent.
    .target(
      name: "GCSClient",
      dependencies: [
        "PluginKit", "PluginSupport",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ],
      path: "Sources/GCSClient",
      swiftSettings: swiftSettings),
    // A third party's view: the public SDK (PluginKit) and libcurl, nothing of the house's own.
    .target(
      name: "GoldfishSlurm", dependencies: ["PluginKit", "CCurlShim", "GoldfishSlurmStates"],
      path: "Plugins/Slurm", swiftSettings: swiftSettings),
    // The job-state table, a module of its own so that SlurmTests check it directly.
    .target(
      name: "GoldfishSlurmStates", dependencies: ["PluginKit"], path: "Plugins/SlurmStates",
      swiftSettings: swiftSettings),
    .target(
      name: "GoldfishGCS", dependencies: ["PluginKit", "PluginSupport", "GCSClient"], path: "Plugins/GCS",
      swiftSettings: swiftSettings),
    .target(
      name: "GoldfishCDir", dependencies: ["PluginABI"], path: "Examples/CPlugin",
      exclude: ["README.md"], publicHeadersPath: ".",
      cSettings: [.unsafeFlags(["-std=c99", "-fvisibility=hidden"])]),
    .target(
      name: "GoldfishSwiftExample", dependencies: ["PluginKit"], path: "Examples/SwiftPlugin",
      swiftSettings: swiftSettings),
    .target(
      name: "SloppyRunFixture", dependencies: ["PluginKit"], path: "Tests/Fixtures/SwiftPlugins/SloppyRun",
      swiftSettings: swiftSettings),
    // One test target per module. GoldfishTestSupport holds the fixtures and drivers they share
    // (projects, the sample pipeline, the CLI and MCP sessions, the docker/gcs/warm-pool harnesses);
    // it is a test target so that `swift build -c release` never builds it.
    .testTarget(
      name: "GoldfishTestSupport", dependencies: ["Host", "PluginKit", "PluginSupport"], path: "Tests/Support",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "PluginKitTests", dependencies: ["PluginKit", "PluginSupport", "GoldfishTestSupport"],
      path: "Tests/PluginKitTests",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "HostTests",
      dependencies: [
        // GoldfishMCP: the hostile-input suites drive both faces in this process.
        "Host", "GoldfishMCP", "PluginKit", "PluginSupport", "GoldfishTesting", "GoldfishTestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      path: "Tests/HostTests", swiftSettings: swiftSettings),
    .testTarget(
      name: "MCPTests", dependencies: ["GoldfishMCP", "Host", "PluginKit", "PluginSupport", "GoldfishTestSupport"],
      path: "Tests/MCPTests", swiftSettings: swiftSettings),
    .testTarget(
      name: "AgentTests", dependencies: ["PluginKit", "PluginSupport", "Host", "GoldfishTestSupport"],
      path: "Tests/AgentTests",
      swiftSettings: swiftSettings),
    // The plugins' tests load each plugin's .so by path, through the host, as goldfish does.
    .testTarget(
      name: "LocalTests", dependencies: ["Host", "PluginKit", "PluginSupport", "GoldfishTestSupport"],
      path: "Tests/LocalTests",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DockerTests", dependencies: ["Host", "PluginKit", "PluginSupport", "GoldfishTestSupport"],
      path: "Tests/DockerTests",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "GCETests", dependencies: ["Host", "PluginKit", "PluginSupport", "GoldfishTestSupport"],
      path: "Tests/GCETests",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SlurmTests",
      dependencies: ["Host", "PluginKit", "PluginSupport", "GoldfishTestSupport", "GoldfishSlurmStates"],
      path: "Tests/SlurmTests",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "GCSTests",
      dependencies: [
        "Host", "PluginKit", "PluginSupport", "GoldfishTestSupport",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ],
      path: "Tests/GCSTests", swiftSettings: swiftSettings),
    .testTarget(
      name: "WebTests", dependencies: ["Web", "Host", "PluginKit", "GoldfishTestSupport"],
      path: "Tests/WebTests", swiftSettings: swiftSettings),
  ]
)
