/// The stages as a DAG, for the validator and the executor. Edges come from inputs' `from_stage`;
/// references to stages that do not exist are ignored here (the validator reports them).
extension PipelineDefinition {
  /// The stages this one reads from directly.
  public func dependencies(of stage: String) -> Set<String> {
    let known = Set(stages.map(\.name))
    return Set(
      (self.stage(named: stage)?.inputs ?? []).compactMap(\.fromStage).filter { known.contains($0) && $0 != stage })
  }

  /// Every stage that reads, directly or through others, from `stage` (not `stage` itself). These are
  /// the stages whose results go stale when `stage` reruns.
  public func downstream(of stage: String) -> Set<String> {
    var readers: [String: Set<String>] = [:]
    for candidate in stages {
      for dependency in dependencies(of: candidate.name) { readers[dependency, default: []].insert(candidate.name) }
    }
    var found: Set<String> = []
    var queue = Array(readers[stage] ?? [])
    while let next = queue.popLast() {
      guard found.insert(next).inserted else { continue }
      queue.append(contentsOf: readers[next] ?? [])
    }
    found.remove(stage)
    return found
  }

  /// Stages ordered so each comes after everything it reads from; among stages that are ready at the
  /// same time, listing order wins. Stages caught in a cycle (or reading their own output), and the
  /// stages downstream of them, cannot be ordered and are left out: validate first
  /// (`PipelineValidator` refuses cycles), then this lists every stage.
  public func topologicalOrder() -> [String] {
    var remaining = stages.map(\.name)
    var done: Set<String> = []
    var order: [String] = []
    while let index = remaining.firstIndex(where: { dependencies(of: $0).isSubset(of: done) && !readsItself($0) }) {
      let name = remaining.remove(at: index)
      if done.insert(name).inserted { order.append(name) }
    }
    return order
  }

  /// Each cycle once, as the stages along it ("a", "b" for a → b → a; "a" for a stage reading itself).
  public func cycles() -> [[String]] {
    var result: [[String]] = []
    var state: [String: Int] = [:]  // 1: on the current path, 2: finished
    var path: [String] = []
    func visit(_ name: String) {
      state[name] = 1
      path.append(name)
      let next = (stage(named: name)?.inputs ?? []).compactMap(\.fromStage)
      for dependency in stages.map(\.name) where next.contains(dependency) {
        if state[dependency] == 1, let start = path.firstIndex(of: dependency) {
          result.append(Array(path[start...]))
        } else if state[dependency] == nil {
          visit(dependency)
        }
      }
      path.removeLast()
      state[name] = 2
    }
    for candidate in stages where state[candidate.name] == nil { visit(candidate.name) }
    return result
  }

  private func readsItself(_ name: String) -> Bool {
    (stage(named: name)?.inputs ?? []).contains { $0.fromStage == name }
  }
}
