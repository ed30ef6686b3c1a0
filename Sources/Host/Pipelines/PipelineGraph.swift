/// The stages as a DAG, for the validator and the executor. Edges come from inputs' `from_stage`;
/// references to stages that do not exist are ignored here (the validator reports them).
///
/// Every walk is iterative and linear in stages plus edges: a pipeline of 20,000 stages chained one
/// after another is ordered in milliseconds, and no walk recurses once per stage (a recursion that
/// deep overflows a thread's stack).
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
    let graph = StageGraph(self)
    guard let start = graph.index[stage] else { return [] }
    var found: Set<Int> = []
    var queue = graph.readers[start]
    while let next = queue.popLast() {
      guard found.insert(next).inserted else { continue }
      queue.append(contentsOf: graph.readers[next])
    }
    found.remove(start)
    return Set(found.map { graph.names[$0] })
  }

  /// Stages ordered so each comes after everything it reads from; among stages that are ready at the
  /// same time, listing order wins. Stages caught in a cycle (or reading their own output), and the
  /// stages downstream of them, cannot be ordered and are left out: validate first
  /// (`PipelineValidator` refuses cycles), then this lists every stage.
  public func topologicalOrder() -> [String] {
    let graph = StageGraph(self)
    var waiting = graph.dependencies.map(\.count)
    var ready = MinHeap()
    for node in graph.names.indices where waiting[node] == 0 && !graph.readsItself[node] { ready.push(node) }
    var order: [String] = []
    while let node = ready.pop() {
      order.append(graph.names[node])
      for reader in graph.readers[node] {
        waiting[reader] -= 1
        if waiting[reader] == 0 && !graph.readsItself[reader] { ready.push(reader) }
      }
    }
    return order
  }

  /// Each cycle once, as the stages along it ("a", "b" for a → b → a; "a" for a stage reading itself).
  public func cycles() -> [[String]] {
    let graph = StageGraph(self)
    // The edges a depth-first walk follows: what each stage reads from, itself included, in listing order.
    let next = graph.names.indices.map { node in
      (graph.readsItself[node] ? [node] : []) + graph.dependencies[node]
    }.map { $0.sorted() }
    var result: [[String]] = []
    var state = [UInt8](repeating: 0, count: graph.names.count)  // 1: on the current path, 2: finished
    var pathPosition = [Int](repeating: -1, count: graph.names.count)
    var path: [Int] = []
    var stack: [(node: Int, edge: Int)] = []
    for start in graph.names.indices where state[start] == 0 {
      state[start] = 1
      pathPosition[start] = path.count
      path.append(start)
      stack.append((start, 0))
      while let top = stack.last {
        if top.edge < next[top.node].count {
          stack[stack.count - 1].edge += 1
          let dependency = next[top.node][top.edge]
          if state[dependency] == 1 {
            result.append(path[pathPosition[dependency]...].map { graph.names[$0] })
          } else if state[dependency] == 0 {
            state[dependency] = 1
            pathPosition[dependency] = path.count
            path.append(dependency)
            stack.append((dependency, 0))
          }
        } else {
          stack.removeLast()
          path.removeLast()
          state[top.node] = 2
        }
      }
    }
    return result
  }
}

/// A pipeline's stages by position (the first stage of a repeated name stands for it) with the
/// edges between them, built once per walk.
struct StageGraph {
  var names: [String] = []
  var index: [String: Int] = [:]
  /// Each stage's distinct, known dependencies other than itself, by position.
  var dependencies: [[Int]] = []
  /// Each stage's readers: the stages that list it as a dependency.
  var readers: [[Int]] = []
  var readsItself: [Bool] = []

  init(_ definition: PipelineDefinition) {
    var first: [StageDefinition] = []
    for stage in definition.stages where index[stage.name] == nil {
      index[stage.name] = names.count
      names.append(stage.name)
      first.append(stage)
    }
    readers = Array(repeating: [], count: names.count)
    for (node, stage) in first.enumerated() {
      var seen: Set<Int> = []
      var list: [Int] = []
      var selfRead = false
      for input in stage.inputs {
        guard let from = input.fromStage, let dependency = index[from] else { continue }
        if dependency == node {
          selfRead = true
        } else if seen.insert(dependency).inserted {
          list.append(dependency)
          readers[dependency].append(node)
        }
      }
      dependencies.append(list)
      readsItself.append(selfRead)
    }
  }
}

/// The smallest stage position first: Kahn's algorithm with listing order breaking ties.
private struct MinHeap {
  private var items: [Int] = []

  mutating func push(_ item: Int) {
    items.append(item)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child] < items[parent] else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Int? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    guard !items.isEmpty else { return top }
    items[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < items.count, items[left] < items[smallest] { smallest = left }
      if right < items.count, items[right] < items[smallest] { smallest = right }
      guard smallest != parent else { break }
      items.swapAt(parent, smallest)
      parent = smallest
    }
    return top
  }
}
