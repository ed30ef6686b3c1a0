import PluginKit

/// Whether gce runs bring a stage image, and so need `gce.artifact_registry` (the VMs pull the
/// image from it): one rule for `config validate` and `goldfish gce doctor`. An image is involved
/// when a registry is named (the host then builds and pushes each stage image), when an image
/// builder is chosen, or when a profile or `docker.base_images` names a base image; otherwise
/// jobs run as processes on the VM and nothing needs a registry.
public enum GCEImageRule {
  /// Why an image is involved, or nil when none is.
  public static func reason(_ config: GoldfishConfig, document: ConfigDocument?) -> String? {
    if registry(document) != nil { return "gce.artifact_registry is set" }
    if let builder = config.jobs.imageBuilder { return "jobs.image_builder is \(builder)" }
    if let name = config.profiles.definitions.keys.sorted().first(where: {
      config.profiles.definitions[$0]?.baseImage != nil
    }) {
      return "profile \(name) names a base_image"
    }
    if config.docker.baseImages.cpu != nil || config.docker.baseImages.gpu != nil {
      return "docker.base_images names a base image"
    }
    return nil
  }

  static func registry(_ document: ConfigDocument?) -> String? {
    guard let text = document?.section("gce")["artifact_registry"]?.stringValue, !text.isEmpty else { return nil }
    return text
  }

  /// `config validate`: with jobs.backend gce, a stage image needs a registry the VMs can pull from.
  static func check(_ config: GoldfishConfig, document: ConfigDocument, problems: ConfigProblems) {
    guard config.jobs.backend == "gce", registry(document) == nil, let why = reason(config, document: document) else {
      return
    }
    problems.add(
      ConfigError.invalid(
        document, "gce.artifact_registry",
        "is required: runs bring a stage image (\(why)) and the VMs pull it from this registry",
        hint: "create a Docker repository (gcloud artifacts repositories create goldfish --repository-format=docker "
          + "--location REGION) and set gce.artifact_registry: REGION-docker.pkg.dev/PROJECT/goldfish"))
  }
}
