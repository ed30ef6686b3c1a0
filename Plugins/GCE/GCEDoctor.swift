import Foundation
import GCSClient
import PluginKit
import PluginSupport

/// `diagnose`: whether a real project has what this backend needs, each missing thing named with
/// its fix. It reads, tests permissions, and writes one probe object that it deletes again.
struct GCEDoctor {
  typealias Check = DiagnosticCheck
  let backend: GCEBackend
  var settings: GCESettings { backend.settings }
  var compute: ComputeAPI { backend.compute }
  var project: String { settings.project }

  /// Resource Manager v1: Google's, or the emulator's `/v1` beside its Compute root.
  var resourceManagerEndpoint: String {
    guard settings.endpointIsExplicit, settings.endpoint.hasSuffix("/compute/v1") else {
      return "https://cloudresourcemanager.googleapis.com/v1"
    }
    return String(settings.endpoint.dropLast("/compute/v1".count)) + "/v1"
  }

  func run(_ request: DiagnoseRequest) -> Diagnosis {
    var checks = [computeAPI()]
    let computeAnswers = checks[0].status == .ok
    checks.append(projectPermissions())
    let mailbox = try? backend.mailbox()
    if let mailbox {
      checks.append(bucket(mailbox))
      if checks.last?.status == .ok {
        checks.append(bucketPermissions(mailbox))
        checks.append(agentUpload(mailbox))
      }
    } else {
      checks.append(
        Check(
          name: "bucket", status: .failed, detail: "no Cloud Storage bucket for the job mailbox",
          fix: "set gcs.bucket (with storage.backend: gcs) or gce.gcs_bucket in goldfish.yaml"))
    }
    checks.append(registry(imageInvolved: request.imageInvolved))
    if computeAnswers {
      checks.append(bootImages(request.profiles))
      checks.append(quotas(request.profiles))
    }
    return Diagnosis(checks: checks)
  }

  // MARK: Compute Engine

  func computeAPI() -> Check {
    let url = settings.endpoint + "/projects/" + GCSAPI.encode(project)
    let answer = get(url)
    guard let answer, answer.isSuccess else {
      return failure(
        "compute_api", answer, what: "Compute Engine (projects.get of \(project))", api: "compute.googleapis.com")
    }
    return Check(name: "compute_api", status: .ok, detail: "Compute Engine answers for project \(project)")
  }

  func projectPermissions() -> Check {
    var wanted = GCEPermissions.project
    if settings.serviceAccount != nil { wanted += GCEPermissions.serviceAccount }
    let url = resourceManagerEndpoint + "/projects/" + GCSAPI.encode(project) + ":testIamPermissions"
    let answer = post(url, ["permissions": .array(wanted.map { .string($0) })])
    guard let answer, answer.isSuccess, let granted = try? answer.json() else {
      return failure(
        "permissions_project", answer, what: "Resource Manager (projects.testIamPermissions)",
        api: "cloudresourcemanager.googleapis.com")
    }
    let held = Set(granted["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    return permissionCheck(
      "permissions_project", wanted: wanted, held: held, on: "project \(project)",
      grant: { role in "gcloud projects add-iam-policy-binding \(project) --member=PRINCIPAL --role=\(role)" })
  }

  func bootImages(_ profiles: [ResourceProfile]) -> Check {
    var families: [String: [String]] = [:]
    for profile in profiles {
      guard let machine = try? MachineProfile(spec: profile, settings: settings) else { continue }
      families[machine.bootDisk.imageProject + "/" + machine.bootDisk.imageFamily, default: []].append(machine.name)
    }
    var missing: [String] = []
    var deprecated: [String] = []
    var found: [String] = []
    for key in families.keys.sorted() {
      let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
      let url =
        settings.endpoint + "/projects/" + GCSAPI.encode(parts[0]) + "/global/images/family/" + GCSAPI.encode(parts[1])
      let names = (families[key] ?? []).sorted().joined(separator: ", ")
      guard let answer = get(url), answer.isSuccess, let image = try? answer.json() else {
        missing.append("\(key) (profiles \(names))")
        continue
      }
      if let state = image["deprecated"]?["state"]?.stringValue, state != "ACTIVE" {
        deprecated.append("\(key) is \(state) (profiles \(names))")
      } else {
        found.append("\(key) → \(image["name"]?.stringValue ?? "?")")
      }
    }
    let fix =
      "set boot_disk.image_family and image_project of those profiles under gce.profile_overrides to an image "
      + "with Docker (and NVIDIA drivers for GPUs); list families with: gcloud compute images list "
      + "--project deeplearning-platform-release --no-standard-images"
    if !missing.isEmpty {
      return Check(
        name: "boot_images", status: .failed, detail: "no such image family: " + missing.joined(separator: "; "),
        fix: fix)
    }
    if !deprecated.isEmpty {
      return Check(name: "boot_images", status: .warning, detail: deprecated.joined(separator: "; "), fix: fix)
    }
    return Check(name: "boot_images", status: .ok, detail: found.joined(separator: "; "))
  }

  func quotas(_ profiles: [ResourceProfile]) -> Check {
    var regions: [String: [MachineProfile]] = [:]
    for profile in profiles {
      guard let machine = try? MachineProfile(spec: profile, settings: settings) else { continue }
      for region in Set(machine.zones.map(Self.region(of:))) { regions[region, default: []].append(machine) }
    }
    var limits: [String: [String: Double]] = [:]
    var unreadable: [String] = []
    for region in regions.keys.sorted() {
      let url = settings.endpoint + "/projects/" + GCSAPI.encode(project) + "/regions/" + GCSAPI.encode(region)
      guard let answer = get(url), answer.isSuccess, let json = try? answer.json() else {
        unreadable.append(region)
        continue
      }
      var metrics: [String: Double] = [:]
      for quota in json["quotas"]?.arrayValue ?? [] {
        if let metric = quota["metric"]?.stringValue, let limit = Self.number(quota["limit"]) {
          metrics[metric] = limit - (Self.number(quota["usage"]) ?? 0)
        }
      }
      limits[region] = metrics
    }
    if !unreadable.isEmpty {
      return Check(
        name: "quotas", status: .failed, detail: "regions.get failed in " + unreadable.joined(separator: ", "),
        fix: "grant roles/compute.viewer on project \(project) to these credentials")
    }
    // A GPU profile is short when none of its regions has room for its GPUs in any mode it allows.
    var short: [String] = []
    for machine in Set(regions.values.flatMap { $0 }.map(\.name)).sorted() {
      guard let profile = regions.values.flatMap({ $0 }).first(where: { $0.name == machine }),
        let gpu = profile.accelerator, let metric = Self.gpuMetric(gpu.type)
      else { continue }
      let metrics = profile.modes.map { $0 == .spot ? "PREEMPTIBLE_" + metric : metric }
      let fits = Set(profile.zones.map(Self.region(of:))).contains { region in
        metrics.contains { (limits[region]?[$0] ?? 0) >= Double(gpu.count) }
      }
      if !fits {
        short.append("\(machine) needs \(gpu.count) \(metrics.joined(separator: " or "))")
      }
    }
    let read = "quotas read in " + limits.keys.sorted().joined(separator: ", ")
    guard short.isEmpty else {
      return Check(
        name: "quotas", status: .warning, detail: read + "; no room for: " + short.joined(separator: "; "),
        fix: "request GPU quota in the console (IAM & Admin → Quotas) for the profiles' regions, "
          + "or run those stages elsewhere")
    }
    return Check(name: "quotas", status: .ok, detail: read)
  }

  static func number(_ value: JSONValue?) -> Double? {
    switch value {
    case .double(let number)?: return number
    case .int(let number)?: return Double(number)
    default: return nil
    }
  }

  static func region(of zone: String) -> String {
    guard let dash = zone.lastIndex(of: "-") else { return zone }
    return String(zone[..<dash])
  }

  /// `nvidia-tesla-a100` → `NVIDIA_A100_GPUS`, `nvidia-h100-80gb` → `NVIDIA_H100_GPUS`.
  static func gpuMetric(_ accelerator: String) -> String? {
    var name = accelerator.lowercased()
    guard name.hasPrefix("nvidia-") else { return nil }
    name.removeFirst("nvidia-".count)
    if name.hasPrefix("tesla-") { name.removeFirst("tesla-".count) }
    let model = name.split(separator: "-").first.map(String.init) ?? name
    return "NVIDIA_\(model.uppercased())_GPUS"
  }

  // MARK: Cloud Storage

  func bucket(_ mailbox: Mailbox) -> Check {
    let name = mailbox.api.settings.bucket
    let answer = try? mailbox.api.http.send(try mailbox.api.authorized(HTTPRequest("GET", mailbox.api.bucketURL)))
    guard let answer, answer.isSuccess else {
      if answer?.status == 404 {
        return Check(
          name: "bucket", status: .failed, detail: "gs://\(name) does not exist",
          fix: "create it in the VMs' region: gcloud storage buckets create gs://\(name) --project \(project) "
            + "--location REGION, or name another in gce.gcs_bucket")
      }
      return failure(
        "bucket", answer, what: "Cloud Storage (buckets.get of gs://\(name))", api: "storage.googleapis.com")
    }
    let location = (try? answer.json())?["location"]?.stringValue.map { " in \($0)" } ?? ""
    return Check(name: "bucket", status: .ok, detail: "mailbox \(mailbox.root)\(location)")
  }

  func bucketPermissions(_ mailbox: Mailbox) -> Check {
    let wanted = GCEPermissions.bucket
    let query = wanted.map { "permissions=" + GCSAPI.encode($0) }.joined(separator: "&")
    let url = mailbox.api.bucketURL + "/iam/testPermissions?" + query
    let answer = try? mailbox.api.http.send(try mailbox.api.authorized(HTTPRequest("GET", url)))
    guard let answer, answer.isSuccess, let granted = try? answer.json() else {
      return failure(
        "permissions_bucket", answer, what: "Cloud Storage (buckets.testIamPermissions)",
        api: "storage.googleapis.com")
    }
    let held = Set(granted["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    let bucket = mailbox.api.settings.bucket
    return permissionCheck(
      "permissions_bucket", wanted: wanted, held: held, on: "gs://\(bucket)",
      grant: { role in "gcloud storage buckets add-iam-policy-binding gs://\(bucket) --member=PRINCIPAL --role=\(role)"
      }
    )
  }

  /// goldfish-agent is found, and an object can be written to and deleted from the mailbox.
  func agentUpload(_ mailbox: Mailbox) -> Check {
    let upload = AgentUpload(settings: settings, mailbox: mailbox)
    let binary: String
    do {
      binary = try upload.binary()
    } catch {
      return Check(
        name: "agent_upload", status: .failed, detail: error.message,
        fix: "install goldfish-agent next to goldfish (swift build --product goldfish-agent) or set gce.agent")
    }
    let probe = "doctor/probe-\(UUID().uuidString.lowercased())"
    do {
      try mailbox.put(probe, bytes: Array("goldfish gce doctor\n".utf8))
      try mailbox.delete(probe)
    } catch {
      return Check(
        name: "agent_upload", status: .failed,
        detail: "could not write and delete \(mailbox.uri(probe)): \(error.message)",
        fix: "grant roles/storage.objectAdmin on gs://\(mailbox.api.settings.bucket) to these credentials")
    }
    return Check(
      name: "agent_upload", status: .ok,
      detail: "\(binary) can be uploaded to \(mailbox.root)/agent/ (probe written and deleted)")
  }

  // MARK: Artifact Registry

  func registry(imageInvolved: Bool) -> Check {
    guard let registry = settings.artifactRegistry else {
      return imageInvolved
        ? Check(
          name: "registry", status: .failed, detail: "runs bring a stage image but gce.artifact_registry is unset",
          fix: "create a Docker repository (gcloud artifacts repositories create goldfish --repository-format=docker "
            + "--location REGION) and set gce.artifact_registry: REGION-docker.pkg.dev/\(project)/goldfish")
        : Check(
          name: "registry", status: .skipped,
          detail: "no stage image is involved (no gce.artifact_registry): jobs run as processes on the VM")
    }
    let host = String(registry.prefix { $0 != "/" })
    let loopback = host.hasPrefix("127.") || host.hasPrefix("localhost")
    let v2 = (loopback ? "http://" : "https://") + host + "/v2/"
    var request = HTTPRequest("GET", v2)
    if host.hasSuffix("-docker.pkg.dev") || host.hasSuffix("gcr.io"),
      let header = try? compute.credentials.header()
    {
      request.headers.append(header)
    }
    let answer = try? compute.http.send(request)
    // 401 is an answer too: the registry is there and wants its own token exchange.
    guard let answer, answer.isSuccess || answer.status == 401 else {
      return Check(
        name: "registry", status: .failed,
        detail: "\(v2) did not answer" + (answer.map { " (HTTP \($0.status))" } ?? ""),
        fix: "check gce.artifact_registry (REGION-docker.pkg.dev/PROJECT/REPOSITORY) and that "
          + "artifactregistry.googleapis.com is enabled: gcloud services enable artifactregistry.googleapis.com")
    }
    guard host.hasSuffix("-docker.pkg.dev") else {
      return Check(name: "registry", status: .ok, detail: "\(registry) answers (not Artifact Registry: no IAM to test)")
    }
    return artifactRegistryPermissions(registry, host: host)
  }

  /// `REGION-docker.pkg.dev/PROJECT/REPO`: the repository exists and these credentials may push.
  func artifactRegistryPermissions(_ registry: String, host: String) -> Check {
    let parts = registry.split(separator: "/").map(String.init)
    guard parts.count >= 3 else {
      return Check(
        name: "registry", status: .failed, detail: "\(registry) names no repository",
        fix: "set gce.artifact_registry to REGION-docker.pkg.dev/PROJECT/REPOSITORY")
    }
    let location = String(host.dropLast("-docker.pkg.dev".count))
    let resource = "projects/\(parts[1])/locations/\(location)/repositories/\(parts[2])"
    let url = "https://artifactregistry.googleapis.com/v1/" + resource + ":testIamPermissions"
    let answer = post(url, ["permissions": .array(GCEPermissions.registry.map { .string($0) })])
    guard let answer, answer.isSuccess, let granted = try? answer.json() else {
      if answer?.status == 404 {
        return Check(
          name: "registry", status: .failed, detail: "repository \(resource) does not exist",
          fix: "gcloud artifacts repositories create \(parts[2]) --repository-format=docker --location \(location) "
            + "--project \(parts[1])")
      }
      return failure(
        "registry", answer, what: "Artifact Registry (repositories.testIamPermissions)",
        api: "artifactregistry.googleapis.com")
    }
    let held = Set(granted["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    return permissionCheck(
      "registry", wanted: GCEPermissions.registry, held: held, on: resource,
      grant: { role in
        "gcloud artifacts repositories add-iam-policy-binding \(parts[2]) --location \(location) "
          + "--project \(parts[1]) --member=PRINCIPAL --role=\(role)"
      })
  }

  // MARK: helpers

  private func permissionCheck(
    _ name: String, wanted: [String], held: Set<String>, on target: String, grant: (String) -> String
  ) -> Check {
    let missing = wanted.filter { !held.contains($0) }
    guard !missing.isEmpty else {
      return Check(name: name, status: .ok, detail: "all \(wanted.count) permissions held on \(target)")
    }
    let roles = Set(missing.map(GCEPermissions.role(for:))).sorted()
    return Check(
      name: name, status: .failed, detail: "missing on \(target): " + missing.joined(separator: ", "),
      fix: "grant " + roles.joined(separator: " and ") + " to the credentials goldfish uses, e.g. "
        + roles.map(grant).joined(separator: "; "))
  }

  /// A call that did not succeed, named with the likely fix: the API off, no credentials, no project.
  private func failure(_ name: String, _ answer: HTTPResponse?, what: String, api: String) -> Check {
    guard let answer else {
      return Check(
        name: name, status: .failed, detail: "\(what) could not be reached",
        fix: "check the network and gce.api_endpoint / gce.storage_endpoint")
    }
    let text = answer.text
    let message = (try? JSONCoding.parse(text))?["error"]?["message"]?.stringValue ?? String(text.prefix(200))
    let detail = "\(what) failed with HTTP \(answer.status): \(message)"
    let lowered = text.lowercased()
    if lowered.contains("service_disabled") || lowered.contains("accessnotconfigured")
      || lowered.contains("has not been used in project") || lowered.contains("it is disabled")
    {
      return Check(
        name: name, status: .failed, detail: detail, fix: "gcloud services enable \(api) --project \(project)")
    }
    switch answer.status {
    case 401:
      return Check(
        name: name, status: .failed, detail: detail,
        fix: "give goldfish credentials: gcloud auth application-default login, or GOOGLE_APPLICATION_CREDENTIALS / "
          + "gce.credentials_file with a service-account key")
    case 403:
      return Check(
        name: name, status: .failed, detail: detail,
        fix: "grant the credentials goldfish uses a role on project \(project) that allows this call")
    case 404:
      return Check(
        name: name, status: .failed, detail: detail, fix: "check gce.project_id (\(project)) names an existing project")
    default:
      return Check(name: name, status: .failed, detail: detail, fix: "try again; if it persists, check \(api)")
    }
  }

  private func get(_ url: String) -> HTTPResponse? {
    var request = HTTPRequest("GET", url)
    if let header = try? compute.credentials.header() { request.headers.append(header) }
    return try? compute.http.send(request)
  }

  private func post(_ url: String, _ body: JSONValue) -> HTTPResponse? {
    guard var request = try? HTTPRequest.json("POST", url, body) else { return nil }
    if let header = try? compute.credentials.header() { request.headers.append(header) }
    return try? compute.http.send(request)
  }
}

extension GCEBackend: DiagnosingBackend {
  func diagnose(_ request: DiagnoseRequest) throws(PluginError) -> Diagnosis { GCEDoctor(backend: self).run(request) }
}
