import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The slurm plugin's HTTP transport when slurmrestd drops a connection, as it sometimes does
/// under parallel requests: the real slurmrestd behind Tests/Fixtures/slurm/drop_proxy.py.
@Suite("slurm transport: dropped connections", .enabled(if: SlurmSupport.available, "\(SlurmSupport.reason)"))
struct SlurmTransportTests {
  static let statusLine = #"^GET /slurm/v[0-9.]+/job/[0-9]+ "#
  static let submitLine = #"^POST /slurm/v[0-9.]+/job/submit "#

  @Test("a status whose connection is dropped is asked again, at most twice more, then fails saying why")
  func statusRetried() throws {
    let direct = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("dropped-status", command: ["/bin/sleep", "30"])
    let handle = try direct.call("launch", try JSONCoding.value(of: spec))
    defer { _ = try? direct.call("cancel", ["handle": handle, "reason": "user"]) }
    let proxy = try DropProxy(pattern: Self.statusLine, count: 4)
    let backend = try SlurmSupport.backend(SlurmSupport.config(["url": .string(proxy.url)]))
    do {
      let status = try SlurmSupport.status(backend, handle)
      Issue.record("three dropped connections still gave a status: \(status)")
    } catch {
      #expect("\(error)".contains("cannot reach slurmrestd"), "\(error)")
    }
    #expect(proxy.fates.filter { $0.hasPrefix("dropped GET") }.count == 3, "\(proxy.fates)")
    // One more drop, then slurmrestd's own answer: the caller sees only the answer.
    let status = try SlurmSupport.status(backend, handle)
    #expect(!status.state.isFinal, "\(status)")
    let statusFates = proxy.fates.filter { $0.contains("/job/") && $0.contains("GET") }
    #expect(statusFates.count == 5 && statusFates.last?.hasPrefix("forwarded") == true, "\(proxy.fates)")
  }

  @Test("a submit whose connection is dropped is never sent twice: the launch fails saying why")
  func submitNotRepeated() throws {
    let proxy = try DropProxy(pattern: Self.submitLine, count: 1)
    let backend = try SlurmSupport.backend(SlurmSupport.config(["url": .string(proxy.url)]))
    let spec = SlurmSupport.spec("dropped-submit", command: ["/bin/true"])
    do {
      let handle = try backend.call("launch", try JSONCoding.value(of: spec))
      Issue.record("a dropped submit launched: \(handle)")
    } catch {
      #expect("\(error)".contains("cannot reach slurmrestd"), "\(error)")
    }
    #expect(proxy.fates.filter { $0.contains("/job/submit") } == proxy.fates.filter { $0.hasPrefix("dropped") })
    #expect(proxy.fates.filter { $0.contains("/job/submit") }.count == 1, "\(proxy.fates)")
  }
}

/// drop_proxy.py in front of the local slurmrestd (TCP), for the life of one test.
final class DropProxy {
  let helper: PortPrintingProcess
  var port: Int { helper.port }
  let log = TestEnvironment.temporaryFolder("slurm-drop") + "/fates.log"
  var url: String { "http://127.0.0.1:\(port)" }
  /// "dropped <request line>" or "forwarded <request line>", in order.
  var fates: [String] {
    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  init(pattern: String, count: Int) throws {
    let target = try #require(URL(string: SlurmSupport.url)?.port)
    let script = TestEnvironment.packageRoot + "/Tests/Fixtures/slurm/drop_proxy.py"
    helper = try PortPrintingProcess(["python3", script, String(target), pattern, String(count), log])
  }
}
