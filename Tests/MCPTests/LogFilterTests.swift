import Foundation
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

@Suite("MCP log reading")
struct LogFilterTests {
  @Test("since keeps lines stamped at or after the time and every unstamped line")
  func since() {
    let text = """
      2026-01-01T10:00:00Z early
      [2026-01-01T12:00:00.500Z] later
      no stamp here
      2026-01-02T00:00:00Z latest
      """
    let kept = LogFilter.lines(text, since: "2026-01-01T11:00:00Z")
    #expect(kept == "[2026-01-01T12:00:00.500Z] later\nno stamp here\n2026-01-02T00:00:00Z latest")
    #expect(LogFilter.lines(text, since: "not a time") == text, "an unreadable time filters nothing")
  }

  @Test("follow cursors are per run, dropped when complete, and bounded")
  func cursors() {
    let cursors = LogCursors()
    cursors.set("stage-a", 10)
    #expect(cursors.position("stage-a") == 10)
    cursors.set("stage-a", nil)
    #expect(cursors.position("stage-a") == nil)
    for index in 0..<1500 { cursors.set("stage-\(index)", Int64(index)) }
    #expect(cursors.position("stage-1499") == 1499)
  }
}
