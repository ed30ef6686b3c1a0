import Foundation

/// Ends a pipeline run that no driver can take further (its pipeline cannot be loaded, or its
/// drivers keep dying): every unfinished stage run ends with `message`, then the pipeline run.
/// No plugin is called: the plugin may be what keeps killing the driver.
struct RunAbandonment {
  let store: ProjectStore

  func abandon(_ pipelineRunID: String, message: String) throws(GoldfishError) {
    for run in try store.stageRuns(ofPipelineRun: pipelineRunID) where run.state.isActive {
      let (event, context) = Self.ending(run.state, message: message)
      _ = try? store.transition(run.id, event, context, update: ["error": message])
    }
    try store.finishPipelineRun(pipelineRunID, status: "failed", error: message)
  }

  /// The event that ends a run in `state` because nobody can drive it: failed before its job
  /// started; terminated (cause `error`) once a job may be running, since nobody watches it now.
  static func ending(_ state: StageRunState, message: String) -> (StageRunEvent, TransitionContext) {
    let context = TransitionContext(source: "executor", reason: message)
    switch state {
    case .preparing: return (.prepareFail, context)
    case .building: return (.buildFail, context)
    case .launching: return (.launchFail, context)
    case .postRun: return (.postRunFail, context)
    default:
      return (.instanceLost, TransitionContext(source: "executor", reason: message, terminationCause: "error"))
    }
  }
}
