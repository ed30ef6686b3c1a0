import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("record ids (ULID)")
struct ULIDTests {
  @Test("ids are 26 Crockford characters that sort by creation, even many within one millisecond")
  func sortable() {
    let ids = (0..<5000).map { _ in ULID.make() }
    #expect(ids == ids.sorted(), "ids made one after the other are out of order")
    #expect(Set(ids).count == ids.count)
    #expect(
      Set(ids.map { $0.prefix(10) }).count < ids.count, "no two ids shared a millisecond: the test proves nothing")
    #expect(ids.allSatisfy { $0.count == 26 && ULID.isValid($0) })
  }

  @Test("the time inside an id reads back to the millisecond; a floor sorts before every id of its time")
  func timeReadsBack() throws {
    let moment = Date(timeIntervalSince1970: 1_780_000_000.456)
    let id = ULID.make(at: moment)
    let read = try #require(ULID.date(of: id))
    #expect(abs(read.timeIntervalSince1970 - 1_780_000_000.456) < 0.001)
    #expect(ULID.floor(of: moment) <= id)
    #expect(ULID.floor(of: moment.addingTimeInterval(0.001)) > id)
  }

  @Test(
    "text that is not a ULID is recognised",
    arguments: [
      "", "stage-1234abcd", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "81ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAU",
    ])
  func invalid(text: String) {
    #expect(!ULID.isValid(text))
    #expect(ULID.date(of: text) == nil)
  }
}
