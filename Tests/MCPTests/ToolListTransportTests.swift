import Foundation
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

@Suite("tools/list answered from bytes encoded once")
struct ToolListTransportTests {
  func id(_ text: String) -> String? {
    ToolListTransport.toolListRequestID(Data(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
  }

  @Test("the request id is kept exactly, number or string; anything else goes to the SDK")
  func requestID() {
    #expect(id(#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}"#) == "7")
    #expect(id(#"{"jsonrpc":"2.0","id":"a\"b","method":"tools/list"}"#) == #""a\"b""#)
    #expect(id(#"{"jsonrpc":"2.0","method":"tools/list"}"#) == nil)  // a notification has no answer
    #expect(id(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tools/list"}}"#) == nil)
    #expect(id(#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#) == nil)  // batches stay the SDK's
    #expect(id("not json tools/list") == nil)
  }
}
