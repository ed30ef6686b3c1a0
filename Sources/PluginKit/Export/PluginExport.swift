import PluginABI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Builds the descriptor a Swift plugin returns from `goldfish_plugin_entry`:
///
/// ```swift
/// @_cdecl("goldfish_plugin_entry")
/// public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
///   Plugin.export(host, name: "my-plugin", version: "1.0.0", services: [MyStorage.self])
/// }
/// ```
///
/// Every allocation rule of the ABI lives here: the descriptor and its strings are allocated
/// once and never freed (the host never unloads), every buffer handed to the host comes from
/// `malloc` and `descriptor.free` is libc's `free`.
public enum Plugin {
  public static func export(
    _ host: UnsafePointer<gf_host_api>?, name: String, version: String, description: String = "",
    services: [any PluginService.Type]
  ) -> UnsafeRawPointer? {
    // Any host of this major has at least the 1.0 table (host_version, log); nothing later is read.
    guard let host, host.pointee.struct_size >= GF_HOST_API_SIZE_V1_0 else {
      return nil
    }
    PluginLog.install(host: host, source: name)
    ServiceRegistry.types = services

    let serviceArray = UnsafeMutablePointer<gf_service>.allocate(capacity: max(services.count, 1))
    for (index, type) in services.enumerated() {
      serviceArray.advanced(by: index).initialize(to: makeService(type, index: index))
    }
    let descriptor = UnsafeMutablePointer<gf_plugin_descriptor>.allocate(capacity: 1)
    descriptor.initialize(
      to: gf_plugin_descriptor(
        magic: GF_PLUGIN_MAGIC,
        struct_size: UInt32(MemoryLayout<gf_plugin_descriptor>.size),
        abi_major: UInt16(GF_ABI_MAJOR),
        abi_minor: UInt16(GF_ABI_MINOR),
        name: permanent(name),
        version: permanent(version),
        description: permanent(description),
        free: { pointer in free(pointer) },
        service_count: UInt32(services.count),
        services: UnsafePointer(serviceArray)))
    return UnsafeRawPointer(descriptor)
  }

  private static func makeService(_ type: any PluginService.Type, index: Int) -> gf_service {
    let capabilities = (try? JSONCoding.encode(type.capabilities)) ?? "{}"
    return gf_service(
      struct_size: UInt32(MemoryLayout<gf_service>.size),
      kind: type.kind.rawValue,
      name: permanent(type.serviceName),
      capabilities_json: permanent(capabilities),
      open: ServiceTrampolines.open,
      close: ServiceTrampolines.close,
      table: table(for: type),
      user_data: UnsafeRawPointer(bitPattern: index + 1),
      check_config: ServiceTrampolines.checkConfig)
  }

  private static func table(for type: any PluginService.Type) -> UnsafeRawPointer? {
    switch type {
    case let backend as any RunBackend.Type: return RunBackendTable.make(for: backend)
    case let storage as any ObjectStorage.Type: return ObjectStorageTable.make(for: storage)
    case let builder as any ImageBuilder.Type: return ImageBuilderTable.make(for: builder)
    default: return nil
    }
  }

  /// A C string that lives as long as the process, as the descriptor's strings must.
  static func permanent(_ string: String) -> UnsafePointer<CChar>? {
    UnsafePointer(strdup(string))
  }
}

/// The service types of this plugin, indexed by `gf_service.user_data - 1`.
/// Written once by `goldfish_plugin_entry`, before the host can call anything else.
enum ServiceRegistry {
  nonisolated(unsafe) static var types: [any PluginService.Type] = []

  static func type(for service: UnsafePointer<gf_service>?) -> (any PluginService.Type)? {
    guard let service, let data = service.pointee.user_data else { return nil }
    let index = Int(bitPattern: data) - 1
    return types.indices.contains(index) ? types[index] : nil
  }
}
