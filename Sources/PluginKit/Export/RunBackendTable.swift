import PluginABI

private struct HandleRequest: Decodable {
  var handle: JSONValue
}

private struct LogsRequest: Decodable {
  private enum CodingKeys: String, CodingKey {
    case handle
    case offset
    case tail
    case maxBytes = "max_bytes"
  }

  var handle: JSONValue
  var offset: Int64?
  var tail: Int?
  var maxBytes: Int?
}

private struct CancelRequest: Decodable {
  var handle: JSONValue
  var reason: String?
}

private struct DeliverRequest: Decodable {
  var worker: JSONValue
  var spec: RunSpec
}

private struct WorkerRequest: Decodable {
  var worker: JSONValue
}

private struct ListWorkersRequest: Decodable {
  var labels: [String: String]?
}

enum RunBackendTable {
  static func make(for type: any RunBackend.Type) -> UnsafeRawPointer {
    let warm = type is any WarmReuseBackend.Type
    let listing = type is any RunListingBackend.Type
    return ABITableBuilder.make(RunBackendFunction.self, size: MemoryLayout<gf_run_backend_v1>.size) { function in
      let slot: gf_call_fn? =
        switch function {
        case .launch: launch
        case .status: status
        case .logs: logs
        case .cancel: cancel
        case .cleanup: cleanup
        case .recover: recover
        case .deliverJob: warm ? deliverJob : nil
        case .probeWorker: warm ? probeWorker : nil
        case .deleteWorker: warm ? deleteWorker : nil
        case .listWorkers: warm ? listWorkers : nil
        case .listRuns: listing ? listRuns : nil
        }
      return slot.map(ABITableBuilder.slot)
    }
  }

  static let launch: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try Bridge.encode(backend.launch(Bridge.decode(RunSpec.self, json)))
    }
  }

  static let status: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try Bridge.encode(backend.status(handle: Bridge.decode(HandleRequest.self, json).handle))
    }
  }

  static let logs: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      let request = try Bridge.decode(LogsRequest.self, json)
      let logRequest = LogRequest(
        offset: request.offset, tail: request.tail, maxBytes: request.maxBytes)
      return try Bridge.encode(backend.logs(handle: request.handle, request: logRequest))
    }
  }

  static let cancel: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      let request = try Bridge.decode(CancelRequest.self, json)
      try backend.cancel(handle: request.handle, reason: request.reason)
      return nil
    }
  }

  static let cleanup: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try backend.cleanup(handle: Bridge.decode(HandleRequest.self, json).handle)
      return nil
    }
  }

  static let recover: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try Bridge.encode(backend.recover(handle: Bridge.decode(HandleRequest.self, json).handle))
    }
  }

  static let deliverJob: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      let request = try Bridge.decode(DeliverRequest.self, json)
      let handle = try backend.deliverJob(worker: request.worker, spec: request.spec)
      return try Bridge.encode(JSONValue.object(["handle": handle]))
    }
  }

  static let probeWorker: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      try Bridge.encode(backend.probeWorker(Bridge.decode(WorkerRequest.self, json).worker))
    }
  }

  static let deleteWorker: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      let confirmed = try backend.deleteWorker(Bridge.decode(WorkerRequest.self, json).worker)
      return try Bridge.encode(JSONValue.object(["confirmed": .bool(confirmed)]))
    }
  }

  static let listWorkers: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      let labels = try Bridge.decode(ListWorkersRequest.self, json).labels ?? [:]
      return try Bridge.encode(JSONValue.object(["workers": .array(backend.listWorkers(labels: labels))]))
    }
  }

  static let listRuns: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunListingBackend).self) {
      backend, json in
      let labels = try Bridge.decode(ListWorkersRequest.self, json).labels ?? [:]
      return try Bridge.encode(JSONValue.object(["runs": .array(backend.listRuns(labels: labels).map(\.json))]))
    }
  }
}
