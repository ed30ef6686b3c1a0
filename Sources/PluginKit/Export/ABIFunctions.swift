/// The functions of each ABI function table, spelled as in goldfish_plugin.h and listed in
/// slot order: the one list both sides use. PluginExport fills slot `n` of a table with the
/// `n`th case; the host names, finds and calls a function through the same case. A test checks
/// every case's slot against the C field's offset, so the two cannot drift apart.
public protocol ABIFunctionList: RawRepresentable<String>, CaseIterable, Hashable, Sendable
where AllCases == [Self] {}

extension ABIFunctionList {
  /// Byte offset of this function's pointer in its table: the table starts with its
  /// `uint32_t struct_size` (padded to a pointer), then one pointer per function.
  public var slotOffset: Int {
    MemoryLayout<UnsafeRawPointer>.stride * ((Self.allCases.firstIndex(of: self) ?? 0) + 1)
  }

  /// The header names of every function, in slot order.
  public static var names: [String] { allCases.map(\.rawValue) }
}

/// `gf_run_backend_v1`.
public enum RunBackendFunction: String, ABIFunctionList {
  case launch, status, logs, cancel, cleanup, recover
  case deliverJob = "deliver_job"
  case probeWorker = "probe_worker"
  case deleteWorker = "delete_worker"
  case listWorkers = "list_workers"
  /// ABI 1.1.
  case listRuns = "list_runs"
  /// ABI 1.3.
  case requestStop = "request_stop"
  /// ABI 1.4.
  case diagnose
}

/// `gf_object_storage_v1`.
public enum ObjectStorageFunction: String, ABIFunctionList {
  case putFile = "put_file"
  case getFile = "get_file"
  case putBytes = "put_bytes"
  case getBytes = "get_bytes"
  case stat, exists, list
  case deleteObject = "delete_object"
  case localPath = "local_path"
  case uriFor = "uri_for"
}

/// `gf_image_builder_v1`.
public enum ImageBuilderFunction: String, ABIFunctionList {
  case build
  case buildStatus = "build_status"
  case buildLogs = "build_logs"
  case exists, push
}

extension ServiceKind {
  /// The function names of this kind's table, in slot order.
  public var functionNames: [String] {
    switch self {
    case .runBackend: return RunBackendFunction.names
    case .objectStorage: return ObjectStorageFunction.names
    case .imageBuilder: return ImageBuilderFunction.names
    }
  }

  /// Byte offset of a function's pointer in this kind's table, nil for a name it lacks.
  public func slotOffset(of name: String) -> Int? {
    switch self {
    case .runBackend: return RunBackendFunction(rawValue: name)?.slotOffset
    case .objectStorage: return ObjectStorageFunction(rawValue: name)?.slotOffset
    case .imageBuilder: return ImageBuilderFunction(rawValue: name)?.slotOffset
    }
  }
}

/// Builds a function table from its list: every case gets the pointer `body` gives it
/// (nil: not supported), at its slot; `size` is sizeof the C table as this PluginKit compiled it.
enum ABITableBuilder {
  static func make<Function: ABIFunctionList>(
    _: Function.Type, size: Int, _ body: (Function) -> UnsafeRawPointer?
  ) -> UnsafeRawPointer {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<UnsafeRawPointer>.alignment)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    raw.storeBytes(of: UInt32(size), as: UInt32.self)
    for function in Function.allCases {
      precondition(function.slotOffset + MemoryLayout<UnsafeRawPointer>.size <= size, "\(function) lies past the table")
      raw.storeBytes(of: body(function), toByteOffset: function.slotOffset, as: UnsafeRawPointer?.self)
    }
    return UnsafeRawPointer(raw)
  }

  /// A C function pointer as the untyped slot value it is stored as.
  static func slot<F>(_ function: F) -> UnsafeRawPointer {
    unsafeBitCast(function, to: UnsafeRawPointer.self)
  }
}
