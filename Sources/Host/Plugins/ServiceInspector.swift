import PluginABI
import PluginKit

/// Checks one `gf_service` entry and reads what `plugins list` shows about it.
enum ServiceInspector {
  static let namePattern = "[a-z][a-z0-9_-]{0,31}"

  /// `service` is one entry of the plugin's services array; its struct_size was checked by the
  /// loader (every entry has the array's stride).
  static func inspect(_ service: ABIView<gf_service>) -> Result<ServiceInfo, Problem> {
    if let problem = ABISize.problem(
      service.size, minimum: ABISize.serviceV1_0, what: "gf_service", fix: "set struct_size = sizeof(gf_service)")
    {
      return .failure(Problem(problem))
    }
    guard let rawKind = service[\.kind], let kind = ServiceKind(rawValue: rawKind) else {
      return .failure(
        Problem(
          "kind \(service[\.kind] ?? 0) is unknown: use GF_KIND_RUN_BACKEND, GF_KIND_OBJECT_STORAGE or "
            + "GF_KIND_IMAGE_BUILDER"))
    }
    guard let namePointer = service[\.name] ?? nil, let name = String(validatingCString: namePointer),
      isValidName(name)
    else {
      return .failure("has no valid name: names match \(namePattern), e.g. \"cdir\"")
    }
    guard (service[\.open] ?? nil) != nil else {
      return .failure("\(kind.label) \"\(name)\" has no open function")
    }
    guard let table = service.table else {
      return .failure("\(kind.label) \"\(name)\" has no function table")
    }
    if let problem = ABISize.problem(
      Int(table.load(as: UInt32.self)), minimum: ABISize.tableV1_0(kind), what: "\(kind.label) \"\(name)\" table",
      fix: "rebuild against goldfish_plugin.h and set struct_size = sizeof(the table)")
    {
      return .failure(Problem(problem))
    }
    let capabilitiesText = (service[\.capabilities_json] ?? nil).flatMap { String(validatingCString: $0) } ?? "{}"
    guard let capabilities = try? JSONCoding.parse(capabilitiesText), capabilities.objectValue != nil
    else {
      return .failure("\(kind.label) \"\(name)\" declares capabilities that are not a JSON object")
    }
    let missing = ServiceTable.functions(kind).filter { !ServiceTable.isPresent($0, in: table, kind: kind) }
    return .success(
      ServiceInfo(
        kind: kind.label, name: name, implemented: implemented(kind, capabilities),
        capabilities: capabilities, unsupported: missing))
  }

  /// `implemented` as the kind's typed capabilities read it (absent or mistyped: true; a
  /// mistyped key is reported by `plugins check`).
  static func implemented(_ kind: ServiceKind, _ capabilities: JSONValue) -> Bool {
    switch kind {
    case .runBackend: RunBackendCapabilities(declared: capabilities).implemented
    case .objectStorage: ObjectStorageCapabilities(declared: capabilities).implemented
    case .imageBuilder: ImageBuilderCapabilities(declared: capabilities).implemented
    }
  }

  static func isValidName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard let first = bytes.first, bytes.count <= 32, (0x61...0x7A).contains(first) else {
      return false
    }
    return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
  }
}

/// The names and presence of each table's functions. The names and their slots come from
/// PluginKit's lists (RunBackendFunction, ...), which PluginExport fills tables from too.
enum ServiceTable {
  static func minimumSize(_ kind: ServiceKind) -> Int { ABISize.tableV1_0(kind) }

  static func functions(_ kind: ServiceKind) -> [String] { kind.functionNames }

  /// The one bounded read of a table slot: the function's pointer, nil when the plugin set it
  /// NULL, when it lies past the table's struct_size (appended after the plugin was built), or
  /// when the kind has no function of that name.
  static func slot(_ function: String, in table: UnsafeRawPointer, kind: ServiceKind) -> UnsafeRawPointer? {
    let view = ABIView<UInt8>(table)
    return view.load(at: kind.slotOffset(of: function), as: UnsafeRawPointer?.self) ?? nil
  }

  static func isPresent(_ function: String, in table: UnsafeRawPointer, kind: ServiceKind) -> Bool {
    slot(function, in: table, kind: kind) != nil
  }
}
