import CPluginSupport
import Foundation

/// Where the plugin file running this code is, to find files installed beside it.
public enum PluginLocation {
  public static var path: String? {
    gf_support_own_path().map { String(cString: $0) }
  }

  public static var folder: String? {
    path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
  }
}
