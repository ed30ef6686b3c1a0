import Foundation
import PluginABI

#if canImport(Glibc)
  import Glibc
#endif

/// A plugin's object storage opened straight through the C ABI, with none of the host's
/// registry, JSON model or call timeout: the floor of what an ABI round trip costs.
struct RawStorage {
  let instance: UnsafeMutableRawPointer?
  let table: UnsafePointer<gf_object_storage_v1>
  let free: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?

  enum Failure: Error, CustomStringConvertible {
    case load(String)
    var description: String {
      switch self {
      case .load(let message): message
      }
    }
  }

  /// Loads `path` the way the host does and opens its object storage `name` with `configJSON`.
  init(path: String, service name: String, configJSON: String) throws {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
      throw Failure.load("cannot load \(path): \(String(cString: dlerror()))")
    }
    guard let symbol = dlsym(handle, GF_PLUGIN_ENTRY_SYMBOL) else {
      throw Failure.load("\(path) exports no \(GF_PLUGIN_ENTRY_SYMBOL)")
    }
    let entry = unsafeBitCast(symbol, to: gf_plugin_entry_fn.self)
    let api = UnsafeMutablePointer<gf_host_api>.allocate(capacity: 1)
    api.initialize(
      to: gf_host_api(
        struct_size: UInt32(MemoryLayout<gf_host_api>.size), abi_major: UInt16(GF_ABI_MAJOR),
        abi_minor: UInt16(GF_ABI_MINOR), host_version: strdup("bench"), log: { _, _, _ in }))
    guard let descriptor = entry(api) else { throw Failure.load("\(path) returned no descriptor") }
    // Walked by the plugin's own gf_service size, as the host does (goldfish_plugin.h "Growth").
    guard let first = descriptor.pointee.services else { throw Failure.load("\(path) registers no services") }
    let stride = Int(first.pointee.struct_size)
    let entries = (0..<Int(descriptor.pointee.service_count)).map {
      UnsafeRawPointer(first).advanced(by: $0 * stride).assumingMemoryBound(to: gf_service.self)
    }
    guard
      let servicePointer = entries.first(where: {
        $0.pointee.kind == GF_KIND_OBJECT_STORAGE && String(cString: $0.pointee.name) == name
      })
    else { throw Failure.load("\(path) registers no object storage \(name)") }
    let service = servicePointer.pointee
    var instance: UnsafeMutableRawPointer?
    var error: UnsafeMutablePointer<CChar>?
    guard service.open(servicePointer, configJSON, "{}", &instance, &error) == GF_OK else {
      throw Failure.load("cannot open \(name): \(error.map { String(cString: $0) } ?? "no detail")")
    }
    self.instance = instance
    self.table = service.table.assumingMemoryBound(to: gf_object_storage_v1.self)
    self.free = descriptor.pointee.free
  }

  /// One uri_for call with a request already encoded; returns the response's length so the
  /// work cannot be optimised away.
  func uriFor(_ request: UnsafePointer<CChar>) -> Int {
    var response: UnsafeMutablePointer<CChar>?
    var error: UnsafeMutablePointer<CChar>?
    let status = table.pointee.uri_for(instance, request, &response, &error)
    defer {
      free?(response)
      free?(error)
    }
    guard status == GF_OK, let response else { return -1 }
    return strlen(response)
  }
}
