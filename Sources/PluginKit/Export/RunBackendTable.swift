import PluginABI

enum RunBackendTable {
  static func make(for type: any RunBackend.Type) -> UnsafeRawPointer {
    let warm = type is any WarmReuseBackend.Type
    let listing = type is any RunListingBackend.Type
    let stopping = type is any StopRequestBackend.Type
    let diagnosing = type is any DiagnosingBackend.Type
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
        case .requestStop: stopping ? requestStop : nil
        case .diagnose: diagnosing ? diagnose : nil
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
      try Bridge.encode(backend.status(handle: Bridge.decode(RunHandleRequest.self, json).handle))
    }
  }

  static let logs: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      let request = try Bridge.decode(RunLogsRequest.self, json)
      return try Bridge.encode(backend.logs(handle: request.handle, request: request.logRequest))
    }
  }

  static let cancel: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      let request = try Bridge.decode(RunCancelRequest.self, json)
      try backend.cancel(handle: request.handle, reason: request.reason)
      return nil
    }
  }

  static let cleanup: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try backend.cleanup(handle: Bridge.decode(RunHandleRequest.self, json).handle)
      return nil
    }
  }

  static let recover: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunBackend).self) { backend, json in
      try Bridge.encode(backend.recover(handle: Bridge.decode(RunHandleRequest.self, json).handle))
    }
  }

  static let deliverJob: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      let request = try Bridge.decode(DeliverJobRequest.self, json)
      return try Bridge.encode(
        DeliverJobResponse(handle: backend.deliverJob(worker: request.worker, spec: request.spec)))
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
      try Bridge.encode(
        DeleteWorkerResponse(confirmed: backend.deleteWorker(Bridge.decode(WorkerRequest.self, json).worker)))
    }
  }

  static let listWorkers: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any WarmReuseBackend).self) {
      backend, json in
      let labels = try Bridge.decode(LabelsRequest.self, json).labels ?? [:]
      return try Bridge.encode(WorkerListing(workers: backend.listWorkers(labels: labels)))
    }
  }

  static let listRuns: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RunListingBackend).self) {
      backend, json in
      let labels = try Bridge.decode(LabelsRequest.self, json).labels ?? [:]
      return try Bridge.encode(RunListing(runs: backend.listRuns(labels: labels)))
    }
  }

  static let requestStop: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any StopRequestBackend).self) {
      backend, json in
      let request = try Bridge.decode(RunStopRequest.self, json)
      let delivered = try backend.requestStop(handle: request.handle, reason: request.reason ?? "stop requested")
      return try Bridge.encode(StopDelivery(delivered: delivered))
    }
  }

  static let diagnose: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any DiagnosingBackend).self) { backend, json in
      try Bridge.encode(backend.diagnose(Bridge.decode(DiagnoseRequest.self, json)))
    }
  }
}
