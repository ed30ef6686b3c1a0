import Foundation
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

@Suite("tools/list answered from bytes encoded once, tools/call run by the transport")
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

  @Test("tools/call is run here with its id and arguments; a cancel names its request; the rest is the SDK's")
  func callRoutes() throws {
    let call = ToolListTransport.route(
      Data(#"{"jsonrpc":"2.0","id":"c-1","method":"tools/call","params":{"name":"status","arguments":{"a":1}}}"#.utf8))
    guard case .toolCall(let id, let parameters)? = call else {
      Issue.record("not routed as a call: \(String(describing: call))")
      return
    }
    #expect(String(decoding: id, as: UTF8.self) == #""c-1""#)
    #expect(parameters.name == "status" && parameters.arguments?["a"] == .int(1))
    let cancel = ToolListTransport.route(
      Data(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12,"reason":"x"}}"#.utf8))
    guard case .cancel(let canceled)? = cancel else {
      Issue.record("not routed as a cancel: \(String(describing: cancel))")
      return
    }
    #expect(String(decoding: canceled, as: UTF8.self) == "12")
    // Unreadable parameters, a notification without an id and other methods stay the SDK's.
    #expect(
      ToolListTransport.route(Data(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"x":1}}"#.utf8)) == nil)
    #expect(
      ToolListTransport.route(Data(#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"a"}}"#.utf8)) == nil)
    #expect(ToolListTransport.route(Data(#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#.utf8)) == nil)
  }
}
