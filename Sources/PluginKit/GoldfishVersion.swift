/// The version of Goldfish's own components (host and first-party plugins).
public enum GoldfishVersion {
  public static let current = "0.1.0"
}
