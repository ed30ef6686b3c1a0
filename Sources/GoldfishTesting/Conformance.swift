import Foundation
import Host
import PluginKit

/// The conformance suite for one opened service (`goldfish plugins check` and `PluginConformance`).
public enum Conformance {
  /// `image`: the image run backends that declare `needs_image` run the suite's jobs in
  /// (`--image`, else $GOLDFISH_CHECK_IMAGE); it needs /bin/sh. `reopen` opens a second instance
  /// of the same service, as another goldfish process would (the fresh-instance recover case).
  /// `beforeCase` is told the cases done so far and the name of the next one, before it runs.
  public static func check(
    _ service: OpenedService, scratch: String, image: String? = nil,
    reopen: (() throws -> OpenedService)? = nil,
    beforeCase: ((_ done: [ConformanceReport.Case], _ next: String) -> Void)? = nil
  ) -> ConformanceReport {
    var runner = CaseRunner()
    runner.beforeCase = beforeCase
    if !service.info.implemented {
      runner.skip(
        "implemented", "the service declares \"implemented\": false; nothing else is checked")
    } else {
      switch service.kind {
      case .objectStorage: StorageConformance(service: service, scratch: scratch).run(&runner)
      case .runBackend:
        RunBackendConformance(
          service: service, scratch: scratch,
          image: image ?? ProcessInfo.processInfo.environment["GOLDFISH_CHECK_IMAGE"], reopen: reopen
        ).run(&runner)
      case .imageBuilder: ImageBuilderConformance(service: service).run(&runner)
      }
    }
    return ConformanceReport(
      plugin: service.plugin.name, kind: service.info.kind, service: service.info.name,
      cases: runner.cases)
  }

  /// A fresh scratch folder for one check.
  public static func makeScratch() throws(GoldfishError) -> String {
    let path = NSTemporaryDirectory() + "goldfish-check-" + UUID().uuidString.prefix(8).lowercased()
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw GoldfishError(.ioFailed, "cannot create the scratch folder \(path): \(error.localizedDescription)")
    }
    return path
  }
}
