import PluginABI

/// The plugin ABI this host speaks.
public enum PluginABIVersion {
  public static let major = Int(GF_ABI_MAJOR)
  public static let minor = Int(GF_ABI_MINOR)
}
