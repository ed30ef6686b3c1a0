import PluginABI
import PluginKit

/// Checks one `gf_service` entry and reads what `plugins list` shows about it.
enum ServiceInspector {
  static let namePattern = "[a-z][a-z0-9_-]{0,31}"

  static func inspect(_ service: UnsafePointer<gf_service>) -> Result<ServiceInfo, Problem> {
    let size = Int(service.pointee.struct_size)
    guard size >= MemoryLayout<gf_service>.size else {
      return .failure(
        Problem(
          "struct_size is \(size), smaller than the \(MemoryLayout<gf_service>.size) of ABI "
            + "\(GF_ABI_MAJOR).0: set struct_size = sizeof(gf_service)"))
    }
    let fields = service.pointee
    guard let kind = ServiceKind(rawValue: fields.kind) else {
      return .failure(
        Problem(
          "kind \(fields.kind) is unknown: use GF_KIND_RUN_BACKEND, GF_KIND_OBJECT_STORAGE or GF_KIND_IMAGE_BUILDER"))
    }
    guard let namePointer = fields.name, let name = String(validatingCString: namePointer),
      isValidName(name)
    else {
      return .failure("has no valid name: names match \(namePattern), e.g. \"cdir\"")
    }
    guard fields.open != nil else {
      return .failure("\(kind.label) \"\(name)\" has no open function")
    }
    guard let table = fields.table else {
      return .failure("\(kind.label) \"\(name)\" has no function table")
    }
    let tableSize = Int(table.load(as: UInt32.self))
    let expected = ServiceTable.minimumSize(kind)
    guard tableSize >= expected else {
      return .failure(
        Problem(
          "\(kind.label) \"\(name)\" table struct_size is \(tableSize), smaller than the \(expected) "
            + "of ABI \(GF_ABI_MAJOR).0: rebuild against goldfish_plugin.h"))
    }
    let capabilitiesText = fields.capabilities_json.flatMap { String(validatingCString: $0) } ?? "{}"
    guard let capabilities = try? JSONCoding.parse(capabilitiesText), capabilities.objectValue != nil
    else {
      return .failure("\(kind.label) \"\(name)\" declares capabilities that are not a JSON object")
    }
    let missing = ServiceTable.functions(kind).filter { !ServiceTable.isPresent($0, in: table, kind: kind) }
    return .success(
      ServiceInfo(
        kind: kind.label, name: name, implemented: capabilities["implemented"]?.boolValue ?? true,
        capabilities: capabilities, unsupported: missing))
  }

  static func isValidName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard let first = bytes.first, bytes.count <= 32, (0x61...0x7A).contains(first) else {
      return false
    }
    return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
  }
}

/// The names and presence of each table's functions.
enum ServiceTable {
  static func minimumSize(_ kind: ServiceKind) -> Int {
    switch kind {
    // ABI 1.0's table ends before list_runs, appended since: older plugins stay valid.
    case .runBackend: return MemoryLayout<gf_run_backend_v1>.offset(of: \gf_run_backend_v1.list_runs) ?? 88
    case .objectStorage: return MemoryLayout<gf_object_storage_v1>.size
    case .imageBuilder: return MemoryLayout<gf_image_builder_v1>.size
    }
  }

  static func functions(_ kind: ServiceKind) -> [String] {
    switch kind {
    case .runBackend:
      return [
        "launch", "status", "logs", "cancel", "cleanup", "recover", "deliver_job", "probe_worker",
        "delete_worker", "list_workers", "list_runs",
      ]
    case .objectStorage:
      return [
        "put_file", "get_file", "put_bytes", "get_bytes", "stat", "exists", "list", "delete_object",
        "local_path", "uri_for",
      ]
    case .imageBuilder:
      return ["build", "build_status", "build_logs", "exists", "push"]
    }
  }

  /// Every table is struct_size followed by pointers, in the order of `functions`.
  static func isPresent(_ function: String, in table: UnsafeRawPointer, kind: ServiceKind) -> Bool {
    guard let index = functions(kind).firstIndex(of: function) else { return false }
    let offset = MemoryLayout<UnsafeRawPointer>.stride * (index + 1)
    // A function appended after the plugin was built lies past its table: not supported.
    guard offset + MemoryLayout<UnsafeRawPointer>.stride <= Int(table.load(as: UInt32.self)) else { return false }
    return table.load(fromByteOffset: offset, as: UnsafeRawPointer?.self) != nil
  }
}
