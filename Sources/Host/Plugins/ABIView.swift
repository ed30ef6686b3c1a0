import PluginABI
import PluginKit

/// The frozen ABI 1.0 sizes of goldfish_plugin.h: the host accepts any struct at least this
/// large (a later 1.x plugin's structs are larger, a 1.0 plugin's exactly this), never less.
enum ABISize {
  static let descriptorV1_0 = Int(GF_PLUGIN_DESCRIPTOR_SIZE_V1_0)
  static let serviceV1_0 = Int(GF_SERVICE_SIZE_V1_0)
  static let hostAPIV1_0 = Int(GF_HOST_API_SIZE_V1_0)
  /// Anything larger is garbage, not a struct of this ABI.
  static let maximum = Int(GF_STRUCT_SIZE_MAX)

  static func tableV1_0(_ kind: ServiceKind) -> Int {
    switch kind {
    case .runBackend: return Int(GF_RUN_BACKEND_SIZE_V1_0)
    case .objectStorage: return Int(GF_OBJECT_STORAGE_SIZE_V1_0)
    case .imageBuilder: return Int(GF_IMAGE_BUILDER_SIZE_V1_0)
    }
  }

  /// Why `size` is not acceptable for a struct whose 1.0 size is `minimum`, or nil when it is.
  /// `what` names the struct and `fix` says what the plugin author sets.
  static func problem(_ size: Int, minimum: Int, what: String, fix: String) -> String? {
    if size < minimum {
      return "\(what) struct_size is \(size) bytes, smaller than the \(minimum) of ABI \(GF_ABI_MAJOR).0: \(fix)"
    }
    if size > maximum {
      return "\(what) struct_size is \(size) bytes, more than any ABI \(GF_ABI_MAJOR).x struct can be "
        + "(\(maximum)): it is not a struct size (an uninitialised field?); \(fix)"
    }
    if size % MemoryLayout<UInt32>.alignment != 0 {
      return "\(what) struct_size is \(size) bytes, not a multiple of 4: \(fix)"
    }
    return nil
  }
}

/// One ABI struct as the plugin compiled it: where it is and its own struct_size. Every read of
/// a plugin struct or table goes through here, and a field that lies past the plugin's
/// struct_size reads as nil ("absent", which the ABI says means "not supported"): the host
/// never reads beyond what the plugin allocated, whichever 1.x header either side was built with.
struct ABIView<Layout>: @unchecked Sendable {
  let base: UnsafeRawPointer
  let size: Int

  /// A struct that starts with its `uint32_t struct_size` (gf_service and every table).
  init(_ base: UnsafeRawPointer) {
    self.base = base
    size = Int(base.load(as: UInt32.self))
  }

  init(_ base: UnsafeRawPointer, size: Int) {
    self.base = base
    self.size = size
  }

  /// A value of type `T` at `offset`, nil when it does not lie wholly within the struct.
  func load<T>(at offset: Int?, as _: T.Type) -> T? {
    guard let offset, offset >= 0, offset + MemoryLayout<T>.size <= size else { return nil }
    return base.load(fromByteOffset: offset, as: T.self)
  }

  /// A field of the header's struct, nil when the plugin's struct ends before it.
  subscript<T>(_ field: KeyPath<Layout, T>) -> T? {
    load(at: MemoryLayout<Layout>.offset(of: field), as: T.self)
  }
}

extension ABIView where Layout == gf_plugin_descriptor {
  /// The descriptor keeps its struct_size after the magic.
  init(descriptor: UnsafePointer<gf_plugin_descriptor>) {
    let raw = UnsafeRawPointer(descriptor)
    self.init(raw, size: Int(raw.load(fromByteOffset: 4, as: UInt32.self)))
  }

  /// The plugin's free, which releases every buffer it hands over (checked present at load).
  var free: (@convention(c) (UnsafeMutableRawPointer?) -> Void)? { self[\.free] ?? nil }
}

extension ABIView where Layout == gf_service {
  init(service: UnsafePointer<gf_service>) { self.init(UnsafeRawPointer(service)) }

  var table: UnsafeRawPointer? { self[\.table] ?? nil }
  var name: String { (self[\.name] ?? nil).flatMap { String(validatingCString: $0) } ?? "?" }
}
