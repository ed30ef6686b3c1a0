import PluginKit

/// The host's own keys in `gce:`: the compute profile overrides (resolved into
/// `GoldfishConfig.profiles`), the zones those profiles default to, and the warm pool. Every
/// other key of the section is the gce backend's: the backend checks it and reports the value
/// in effect (`check_config`), so no gce setting is read, or defaulted, twice.
public struct GCEConfig: Sendable, Equatable {
  /// Zones to search, overriding the built-in profiles' zones (a profile's own zones still win).
  /// The backend reads them too, for runs whose spec names no zone.
  public var zones: [String]?
  /// Written as `profile_overrides` or `profiles`: profile name → partial profile. Resolved
  /// into `GoldfishConfig.profiles`; kept raw here so `config show` gives back what was written.
  public var profileOverrides: [String: JSONValue] = [:]
  public var warmPool = WarmPoolConfig()

  public init() {}

  static let hostKeys = ["zones", "profile_overrides", "profiles", "warm_pool"]

  /// The key path the profile overrides were written under, for error messages.
  var profileOverridesPath: String?

  init(reading section: ConfigSection) {
    zones = section.optionalStrings("zones")
    if zones?.isEmpty == true {
      section.problems.add(
        ConfigError.invalid(
          section.document, section.key("zones"), "is an empty list",
          hint: "name at least one zone, or leave the key out"))
      zones = nil
    }
    if let key = section.alias("profile_overrides", "profiles"), let value = section.value(key) {
      if let overrides = value.objectValue {
        profileOverrides = overrides
        profileOverridesPath = section.key(key)
      } else {
        section.problems.add(
          ConfigError.wrongType(
            section.document, section.key(key), expected: "a mapping of profile names to profiles", found: value))
      }
    }
    warmPool = WarmPoolConfig(reading: section.section("warm_pool", keys: WarmPoolConfig.keys))
  }

  /// The host's keys only; `config show` adds the backend's effective keys beside them.
  var json: JSONValue {
    ["zones": .optional(zones), "profile_overrides": .object(profileOverrides), "warm_pool": warmPool.json]
  }
}
