extension GoldfishError.Code {
  public static let configInvalid = Self("config_invalid")
  public static let configNotFound = Self("config_not_found")
  public static let pluginRefused = Self("plugin_refused")
  public static let serviceNotFound = Self("service_not_found")
  public static let serviceUnsupported = Self("service_unsupported")
  public static let pluginCallFailed = Self("plugin_call_failed")
  public static let pluginCrashed = Self("plugin_crashed")
  public static let invalidArgument = Self("invalid_argument")
  public static let ioFailed = Self("io_failed")
  public static let conformanceFailed = Self("conformance_failed")
}
