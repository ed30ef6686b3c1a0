import Testing

@testable import GoldfishTestSupport
@testable import Host

/// What each stage run state means to everything that asks "did it succeed", "is it over" and
/// "is something still happening".
@Suite("stage run states")
struct RunStateTests {
  @Test("a run awaiting finalization succeeded and is settled, but is no longer active")
  func meaningOfEachState() {
    let succeeded = StageRunState.allCases.filter(\.succeeded)
    #expect(Set(succeeded) == [.completed, .awaitingUserFinalization])
    let settled = StageRunState.allCases.filter(\.isSettled)
    #expect(Set(settled) == [.completed, .awaitingUserFinalization, .failed, .terminated, .canceled])
    let active = StageRunState.allCases.filter(\.isActive)
    #expect(Set(active) == [.preparing, .building, .launching, .running, .postRun])
    // Terminal stays the state machine's word: nothing leaves these states.
    #expect(Set(StageRunState.allCases.filter(\.isTerminal)) == [.completed, .failed, .terminated, .canceled])
  }

  @Test("a run awaiting finalization can be finalized but neither canceled nor lost: its result is kept")
  func awaitingKeepsItsResult() {
    let context = TransitionContext(source: "test")
    #expect(StageRunTransitions.target(from: .awaitingUserFinalization, on: .userFinalize, context) == .completed)
    for event in [StageRunEvent.userCancel, .instanceLost, .timeout, .exitFailure, .postRunFail] {
      #expect(StageRunTransitions.target(from: .awaitingUserFinalization, on: event, context) == nil, "\(event)")
    }
    // Running things still cancel.
    for state in [StageRunState.preparing, .building, .launching, .running, .postRun] {
      #expect(StageRunTransitions.target(from: state, on: .userCancel, context) == .canceled, "\(state)")
    }
  }

  @Test("a successful job ends awaiting finalization; a reused run is completed at once")
  func successTargets() {
    let context = TransitionContext(source: "test")
    #expect(StageRunTransitions.target(from: .postRun, on: .postRunOK, context) == .awaitingUserFinalization)
    #expect(StageRunTransitions.target(from: .preparing, on: .reuse, context) == .completed)
  }
}
