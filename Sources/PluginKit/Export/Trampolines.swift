import PluginABI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An opened service instance as the host holds it: an unmanaged box around the Swift value.
final class ServiceBox: @unchecked Sendable {
  let service: any PluginService
  init(_ service: any PluginService) { self.service = service }

  static func from(_ instance: UnsafeMutableRawPointer?) -> ServiceBox? {
    guard let instance else { return nil }
    return Unmanaged<ServiceBox>.fromOpaque(instance).takeUnretainedValue()
  }
}

typealias OutString = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

enum ServiceTrampolines {
  static let open:
    @convention(c) (
      UnsafePointer<gf_service>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
      UnsafeMutablePointer<UnsafeMutableRawPointer?>?, OutString
    ) -> Int32 = { service, config, context, instance, errorOut in
      guard let type = ServiceRegistry.type(for: service) else {
        return Bridge.fail(PluginError(.internal, "unknown service passed to open"), errorOut)
      }
      do {
        let configValue = try JSONCoding.parse(config.map { String(cString: $0) } ?? "{}")
        let contextValue = try JSONCoding.decode(
          ServiceContext.self, from: context.map { String(cString: $0) } ?? "{}")
        let made = try type.init(config: configValue, context: contextValue)
        instance?.pointee = Unmanaged.passRetained(ServiceBox(made)).toOpaque()
        return GF_OK
      } catch {
        return Bridge.fail(Bridge.pluginError(error), errorOut)
      }
    }

  /// check_config: the service type's report, or not_implemented when it does not check.
  static let checkConfig:
    @convention(c) (
      UnsafePointer<gf_service>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, OutString, OutString
    ) -> Int32 = { service, config, context, response, errorOut in
      guard let type = ServiceRegistry.type(for: service) else {
        return Bridge.fail(PluginError(.internal, "unknown service passed to check_config"), errorOut)
      }
      do {
        let configValue = try JSONCoding.parse(config.map { String(cString: $0) } ?? "{}")
        let contextValue = try JSONCoding.decode(
          ServiceContext.self, from: context.map { String(cString: $0) } ?? "{}")
        guard let report = type.checkConfig(configValue, context: contextValue) else {
          return Bridge.fail(
            PluginError(.notImplemented, "the \(type.serviceName) service does not check its config"), errorOut)
        }
        response?.pointee = strdup(try JSONCoding.encode(report))
        return GF_OK
      } catch {
        return Bridge.fail(Bridge.pluginError(error), errorOut)
      }
    }

  static let close: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
    guard let instance else { return }
    Unmanaged<ServiceBox>.fromOpaque(instance).release()
  }
}

/// Turns Swift calls into ABI calls: JSON in, JSON or a structured error out.
enum Bridge {
  static func call<S>(
    _ instance: UnsafeMutableRawPointer?, _ request: UnsafePointer<CChar>?,
    _ response: OutString, _ errorOut: OutString, as _: S.Type,
    _ body: (S, String) throws -> String?
  ) -> Int32 {
    guard let box = ServiceBox.from(instance), let service = box.service as? S else {
      return fail(PluginError(.internal, "the instance passed is not a \(S.self)"), errorOut)
    }
    do {
      let text = try body(service, request.map { String(cString: $0) } ?? "{}")
      response?.pointee = text.map { strdup($0) } ?? nil
      return GF_OK
    } catch {
      return fail(pluginError(error), errorOut)
    }
  }

  static func pluginError(_ error: any Error) -> PluginError {
    if let error = error as? PluginError { return error }
    return PluginError(.internal, "\(error)")
  }

  static func fail(_ failure: PluginError, _ error: OutString) -> Int32 {
    let text = (try? JSONCoding.encode(failure)) ?? #"{"code":"internal","message":"unencodable error"}"#
    error?.pointee = strdup(text)
    return GF_ERROR
  }

  static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONCoding.decode(T.self, from: json)
  }

  static func encode<T: Encodable>(_ value: T) throws -> String {
    try JSONCoding.encode(value)
  }
}
