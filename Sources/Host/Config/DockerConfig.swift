import PluginKit

/// The host's own keys in `docker:`: the image stages run in (the host writes its recipe), the
/// stages' network, and the warm pool. How the engine is reached (`socket`, `agent`,
/// `build_network`) is the docker plugin's: it checks those keys and reports their values.
public struct DockerConfig: Sendable, Equatable {
  public enum Network: String, Sendable, CaseIterable {
    /// No network at all: a stage cannot reach anything but its mounted inputs.
    case none
    case host
  }

  /// Per image kind: a short name resolved against the registry, or a full image reference.
  public struct ByKind<Value: Sendable & Equatable>: Sendable, Equatable {
    public var cpu: Value
    public var gpu: Value
  }

  public var baseImages = ByKind<String?>(cpu: nil, gpu: nil)
  /// The image a missing base image is built from (Host/Images/BaseImage); Goldfish's own
  /// default base is built from python:3.12-slim-bookworm when this is unset.
  public var baseFrom: String?
  public var baseImageVersion: String?
  public var projectImageVersion: String?
  /// pip arguments added to the cpu image, the gpu image, or both (`base`).
  public var extraPackages = ExtraPackages()
  public var network = Network.none
  public var warmPool = WarmPoolConfig()

  public struct ExtraPackages: Sendable, Equatable {
    public var cpu: [String] = []
    public var gpu: [String] = []
    public var base: [String] = []
    static let keys = ["cpu", "gpu", "base"]
  }

  public init() {}

  static let hostKeys = [
    "base_images", "base_from", "base_image_version", "project_image_version", "extra_packages", "network",
    "cloud_build",
    "warm_pool",
  ]

  /// `rootExtraPackages` is upstream's old top-level `extra_packages: [..]`, added to `base`.
  init(reading section: ConfigSection?, rootExtraPackages: [String]) {
    extraPackages.base = rootExtraPackages
    guard let section else { return }
    if let images = section.section("base_images", keys: ["cpu", "gpu"]) {
      baseImages = ByKind(cpu: images.optionalString("cpu"), gpu: images.optionalString("gpu"))
    }
    baseFrom = section.optionalString("base_from")
    baseImageVersion = section.optionalString("base_image_version")
    projectImageVersion = section.optionalString("project_image_version")
    if let packages = section.section("extra_packages", keys: ExtraPackages.keys) {
      extraPackages.cpu = packages.strings("cpu")
      extraPackages.gpu = packages.strings("gpu")
      extraPackages.base = packages.strings("base") + rootExtraPackages
      for kind in ExtraPackages.keys {
        let arguments = packages.strings(kind)
        if let bad = arguments.first(where: {
          $0.isEmpty || $0.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }) {
          packages.problems.add(
            ConfigError.invalid(
              packages.document, packages.key(kind), "\(bad.debugDescription) is not a pip argument",
              hint: "one package or pip option per list item, without line breaks or control characters"))
        }
      }
    }
    network = section.choice("network", default: network)
    warmPool = WarmPoolConfig(reading: section.section("warm_pool", keys: WarmPoolConfig.keys))
    if section.has("cloud_build") {
      section.problems.note(section.key("cloud_build"), "ignored: images are built by the jobs.image_builder service")
    }
  }

  var json: JSONValue {
    [
      "base_images": ["cpu": .optional(baseImages.cpu), "gpu": .optional(baseImages.gpu)],
      "base_from": .optional(baseFrom), "base_image_version": .optional(baseImageVersion),
      "project_image_version": .optional(projectImageVersion),
      "extra_packages": [
        "cpu": .list(extraPackages.cpu), "gpu": .list(extraPackages.gpu), "base": .list(extraPackages.base),
      ],
      "network": .string(network.rawValue), "warm_pool": warmPool.json,
    ]
  }
}
