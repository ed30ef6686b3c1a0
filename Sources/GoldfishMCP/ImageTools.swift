import Foundation
import Host
import MCP
import PluginKit

/// Stage images over the image builder plugin: manage_base_images, get_build_status.
enum ImageTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [manageBaseImages, buildStatus] }

  static let actions = [
    "list", "inspect", "check", "build", "push", "set_version", "list_versions", "next_version",
  ]

  static let manageBaseImages = MCPTool(
    name: "manage_base_images",
    description:
      "The images stages run in (containerized backends): list, inspect, check (can a run start?) and build the "
      + "project image (docker.base_images + docker.extra_packages + a slot's requirements.txt) ahead of a run. "
      + "Images are named by a hash of their recipe, so there are no version numbers. push builds (when missing) "
      + "and pushes the stage image cloud VMs pull (goldfish.io included) to the backend's artifact_registry.",
    parameters: [
      .string("action", "What to do.", required: true, choices: actions),
      .string(
        "image_type", "cpu or gpu (default: cpu; list and check: every configured kind).", choices: ["cpu", "gpu"]),
      .string(
        "target", "project (the layer Goldfish builds, default) or base (docker.base_images, used as given).",
        choices: ["base", "project"]),
      .string("workspace", "A slot (or mounted workspace) whose requirements.txt is part of the project image."),
      .boolean("wait", "build: wait for the end (default false: returns a build_id for get_build_status)."),
      .boolean("no_cache", "Not supported (a changed recipe already gets a new tag); refused when true."),
      .string("backend", "local (default). cloud (Cloud Build) is refused.", choices: ["local", "cloud"]),
      .string("version", "Only for set_version, which is refused: images have no version numbers."),
    ],
    output: [
      "success": S.boolean, "action": S.string, "builder": S.string, "images": S.array(S.anyObject),
      "ready": S.boolean, "build_id": S.string, "status": S.string, "registry_tag": S.string, "image_tag": S.string,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let action = try call.required("action")
    let kind = call.string("image_type").flatMap(ImageKind.init(rawValue:))
    let target = call.string("target").flatMap(ImageTarget.init(rawValue:)) ?? .project
    let slotArgument = call.string("workspace")
    let wait = call.bool("wait") ?? false
    if call.bool("no_cache") == true { throw ImageActionRefusal.noCache() }
    if call.string("backend") == "cloud" { throw ImageActionRefusal.cloudBackend() }
    let result = try await call.withProject { project throws -> JSONValue in
      let slot = try slotArgument.map { name throws(GoldfishError) in try ImagePlan.slot(of: name, in: project) }
      switch action {
      case "list":
        return try ImageCatalog(project: project).list(slot: slot, kind: kind)
      case "inspect":
        let plan = try ImagePlan(project: project, kind: kind ?? .cpu, slot: slot)
        return try ImageCatalog(project: project).inspect(plan, target: target)
      case "check":
        return try ImageCatalog(project: project).check(slot: slot, kind: kind)
      case "build":
        let plan = try ImagePlan(project: project, kind: kind ?? .cpu, slot: slot)
        if target == .base {
          guard let from = BaseImage.source(of: plan.base, docker: project.config.docker) else {
            throw ImageActionRefusal.baseBuild(plan.base)
          }
          return try JSONValue.from(
            BaseImage(project: project, builder: try ImageBuilds(project: project).builder()).build(
              plan.base, from: from, kind: plan.kind))
        }
        return try JSONValue.from(ImageBuilds(project: project).start(plan, wait: wait))
      case "push":
        let plan = try ImagePlan(project: project, kind: kind ?? .cpu, slot: slot)
        return try JSONValue.from(ImageBuilds(project: project).push(plan))
      default:
        throw ImageActionRefusal.versions(action)
      }
    }
    var fields = (try MCPValue.encode(result)).objectValue ?? [:]
    fields["action"] = .string(action)
    if action == "build" {
      fields["success"] = .bool(fields["status"]?.stringValue != "failed")
    } else {
      fields["success"] = true
    }
    let text: String =
      switch action {
      case "build": "build \(fields["build_id"]?.stringValue ?? ""): \(fields["status"]?.stringValue ?? "")"
      case "check": fields["ready"]?.boolValue == true ? "ready" : "not ready"
      case "push": "pushed \(fields["registry_tag"]?.stringValue ?? "")"
      default: "\(action) done"
      }
    return ToolOutput(.object(fields), text: text)
  }

  static let buildStatus = MCPTool(
    name: "get_build_status",
    description:
      "Where an image build started by manage_base_images is: status, error, image tag and the last 20 lines of its log.",
    parameters: [.string("build_id", "The build_id manage_base_images build returned.", required: true)],
    output: [
      "build_id": S.string, "image_type": S.string, "target": S.string, "backend": S.string, "status": S.string,
      "started_at": S.string, "completed_at": S.nullable(S.string), "error": S.nullable(S.string),
      "image_tag": S.nullable(S.string), "registry_tag": S.nullable(S.string), "logs_tail": S.string,
      "logs_uri": S.nullable(S.string), "cloud_build_id": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let id = try call.required("build_id")
    let view = try await call.withProject { project in try ImageBuilds(project: project).status(id) }
    return try ToolOutput(encoding: view, text: "\(view.buildId): \(view.status)")
  }
}

extension JSONValue {
  /// Any Encodable value as JSON.
  static func from(_ value: some Encodable) throws(GoldfishError) -> JSONValue {
    do {
      return try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    } catch {
      throw GoldfishError(.ioFailed, "cannot encode a result: \(error.localizedDescription)")
    }
  }
}
