import Foundation
import PluginKit

/// `goldfish plugins check`: the conformance suite any plugin author can run.
public enum Conformance {
  /// `image`: the image run backends that declare `needs_image` run the suite's jobs in
  /// (`--image`, else $GOLDFISH_CHECK_IMAGE); it needs /bin/sh.
  public static func check(_ service: OpenedService, scratch: String, image: String? = nil) -> ConformanceReport {
    var runner = CaseRunner()
    if !service.info.implemented {
      runner.skip(
        "implemented", "the service declares \"implemented\": false; nothing else is checked")
    } else {
      switch service.kind {
      case .objectStorage: StorageConformance(service: service, scratch: scratch).run(&runner)
      case .runBackend:
        RunBackendConformance(
          service: service, scratch: scratch,
          image: image ?? ProcessInfo.processInfo.environment["GOLDFISH_CHECK_IMAGE"]
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
