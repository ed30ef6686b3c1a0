import PluginABI
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A plugin that passed every check, with the raw pointers needed to open its services.
struct LoadedPlugin: @unchecked Sendable {
  var info: PluginInfo
  var descriptor: UnsafePointer<gf_plugin_descriptor>
  var services: [UnsafePointer<gf_service>]
}

/// Loads one plugin file by the rules of goldfish_plugin.h, turning every way a file can be
/// wrong into a one-line refusal instead of a crash.
enum PluginLoader {
  /// ABI 1.0's sizes, never the host's current ones: a plugin built against any 1.x header loads.
  static let minimumDescriptorSize = ABISize.descriptorV1_0
  static let minimumServiceSize = ABISize.serviceV1_0
  static let header = "goldfish_plugin.h"

  static func load(path: String, origin: String) -> Result<LoadedPlugin, PluginRefusal> {
    func refuse(_ reason: String) -> Result<LoadedPlugin, PluginRefusal> {
      .failure(PluginRefusal(path: path, origin: origin, reason: reason))
    }
    if let problem = FileCheck.problem(at: path) { return refuse(problem) }

    let (outcome, captured) = StdoutGuard.capture { () -> Result<UnsafeRawPointer?, PluginRefusal> in
      guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
        let message = dlerror().map { String(cString: $0) } ?? "unknown error"
        return .failure(PluginRefusal(path: path, origin: origin, reason: FileCheck.explain(dlopenError: message)))
      }
      // Never dlclose: unloading Swift code crashes the host later (platform.md, loader rule 1).
      guard let symbol = dlsym(handle, GF_PLUGIN_ENTRY_SYMBOL) else {
        return .failure(
          PluginRefusal(
            path: path, origin: origin,
            reason: "does not export \(GF_PLUGIN_ENTRY_SYMBOL): declare it with GF_PLUGIN_EXPORT "
              + "(C) or @_cdecl(\"\(GF_PLUGIN_ENTRY_SYMBOL)\") (Swift), see docs/plugins.md"))
      }
      let entry = unsafeBitCast(symbol, to: gf_plugin_entry_fn.self)
      return .success(UnsafeRawPointer(entry(HostAPI.table)))
    }
    if captured.total > 0 {
      return refuse(
        "wrote \(captured.total) bytes to stdout while loading (\"\(captured.head)\"); stdout is "
          + "the MCP wire: log through host->log instead")
    }
    let raw: UnsafeRawPointer?
    switch outcome {
    case .failure(let refusal): return .failure(refusal)
    case .success(let pointer): raw = pointer
    }
    guard let raw else {
      return refuse(
        "\(GF_PLUGIN_ENTRY_SYMBOL) returned NULL: the plugin declined to load here "
          + "(its log lines above say why)")
    }
    return validate(raw, path: path, origin: origin).mapError {
      PluginRefusal(path: path, origin: origin, reason: $0.reason)
    }
  }

  private static func validate(
    _ raw: UnsafeRawPointer, path: String, origin: String
  )
    -> Result<LoadedPlugin, Problem>
  {
    let magic = raw.load(as: UInt32.self)
    guard magic == GF_PLUGIN_MAGIC else {
      return .failure(
        Problem(
          "descriptor starts with magic \(hex(magic)) instead of \(hex(GF_PLUGIN_MAGIC)): it is not "
            + "a Goldfish plugin descriptor; return a gf_plugin_descriptor from \(GF_PLUGIN_ENTRY_SYMBOL)"))
    }
    let size = Int(raw.load(fromByteOffset: 4, as: UInt32.self))
    let major = raw.load(fromByteOffset: 8, as: UInt16.self)
    let minor = raw.load(fromByteOffset: 10, as: UInt16.self)
    guard major == GF_ABI_MAJOR else {
      return .failure(
        Problem(
          "built for plugin ABI \(major).\(minor) but this goldfish \(GoldfishVersion.current) speaks "
            + "ABI \(GF_ABI_MAJOR).\(GF_ABI_MINOR): rebuild the plugin against the \(header) of this goldfish"))
    }
    if let problem = ABISize.problem(
      size, minimum: minimumDescriptorSize, what: "descriptor",
      fix: "set struct_size = sizeof(gf_plugin_descriptor) and rebuild against \(header)")
    {
      return .failure(Problem(problem))
    }
    let descriptor = raw.assumingMemoryBound(to: gf_plugin_descriptor.self)
    let fields = ABIView<gf_plugin_descriptor>(raw, size: size)
    guard let namePointer = fields[\.name] ?? nil, let name = validUTF8(namePointer), !name.isEmpty else {
      return .failure("descriptor has no plugin name: set gf_plugin_descriptor.name")
    }
    guard fields.free != nil else {
      return .failure(
        Problem(
          "descriptor has no free function: the host must release plugin buffers with it; set gf_plugin_descriptor.free"
        ))
    }
    let count = Int(fields[\.service_count] ?? 0)
    guard count > 0, count <= 64, let services = fields[\.services] ?? nil else {
      return .failure(
        Problem("registers \(count) services: a plugin registers between 1 and 64 services"))
    }
    // The stride is the plugin's own sizeof(gf_service), which services[0] carries: a plugin
    // built against another 1.x header has entries of another size than this host's struct.
    let first = UnsafeRawPointer(services)
    let stride = Int(first.load(as: UInt32.self))
    if let problem = ABISize.problem(
      stride, minimum: minimumServiceSize, what: "service #1: gf_service", fix: "set struct_size = sizeof(gf_service)")
    {
      return .failure(Problem(problem))
    }
    guard stride % MemoryLayout<UnsafeRawPointer>.alignment == 0 else {
      return .failure(
        Problem(
          "service #1: gf_service struct_size is \(stride) bytes, not a multiple of "
            + "\(MemoryLayout<UnsafeRawPointer>.alignment) as an array of gf_service must be: "
            + "set struct_size = sizeof(gf_service)"))
    }
    var infos: [ServiceInfo] = []
    var pointers: [UnsafePointer<gf_service>] = []
    var seen: Set<String> = []
    for index in 0..<count {
      let entry = first.advanced(by: index * stride)
      let view = ABIView<gf_service>(entry)
      guard view.size == stride else {
        return .failure(
          Problem(
            "service #\(index + 1): struct_size is \(view.size) but services[0]'s is \(stride): every entry of "
              + "the services array is sizeof(gf_service) of one header, and the host steps through it by services[0]'s"
          ))
      }
      switch ServiceInspector.inspect(view) {
      case .failure(let problem): return .failure("service #\(index + 1): \(problem.reason)")
      case .success(let info):
        guard seen.insert("\(info.kind)/\(info.name)").inserted else {
          return .failure("registers \(info.kind) \"\(info.name)\" twice: give each service its own name")
        }
        infos.append(info)
        pointers.append(entry.assumingMemoryBound(to: gf_service.self))
      }
    }
    let info = PluginInfo(
      path: path, origin: origin, name: name,
      version: (fields[\.version] ?? nil).flatMap(validUTF8) ?? "unknown",
      description: (fields[\.description] ?? nil).flatMap(validUTF8) ?? "",
      abiVersion: "\(major).\(minor)", services: infos)
    return .success(LoadedPlugin(info: info, descriptor: descriptor, services: pointers))
  }

  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }

  static func validUTF8(_ pointer: UnsafePointer<CChar>) -> String? {
    String(validatingCString: pointer)
  }
}
