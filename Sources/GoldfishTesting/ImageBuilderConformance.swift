import Host
import PluginKit

/// Image builder cases that need no engine state: an unknown tag does not exist, an
/// unknown build id is not found, and push matches the declared registry capability.
struct ImageBuilderConformance {
  let service: OpenedService
  var builder: ImageBuilderClient { ImageBuilderClient(service) }

  func run(_ runner: inout CaseRunner) {
    runner.run("exists of an unknown tag") {
      let answer = try builder.exists(.init(tag: "goldfish-conformance/absent:never"))
      try expect(!answer.exists, "exists answered true for a tag that was never built")
      return nil
    }
    runner.run("status of an unknown build") {
      try expectFailure(.notFound, "build_status of an unknown build id") {
        try builder.buildStatus(.init(buildId: "goldfish-conformance-absent"))
      }
      return nil
    }
    runner.run("push matches capabilities") {
      let registry = builder.capabilities.registry
      try expect(
        registry == service.supports("push"),
        "registry is \(registry) but push is \(service.supports("push") ? "set" : "NULL")")
      return registry ? "push supported" : "push unsupported (NULL)"
    }
  }
}
