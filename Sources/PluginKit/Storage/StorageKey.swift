/// The key rule of `uri_for`: segments of `[A-Za-z0-9._-]`, no `.` or `..`, no leading `/`.
public enum StorageKey {
  public static let maxLength = 1024

  public static func validate(_ key: String) throws(PluginError) {
    let problem = check(key)
    guard let problem else { return }
    throw PluginError(
      .invalidArgument,
      "invalid object key \"\(key)\": \(problem); keys are segments of letters, digits, '.', '_' "
        + "and '-' joined by '/', such as runs/stage-1/outputs/model.pt",
      detail: ["key": .string(key)])
  }

  private static func check(_ key: String) -> String? {
    if key.isEmpty { return "it is empty" }
    if key.utf8.count > maxLength { return "it is longer than \(maxLength) bytes" }
    if key.hasPrefix("/") { return "it starts with '/'" }
    for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
      if segment.isEmpty { return "it has an empty segment" }
      if segment == "." || segment == ".." { return "it has a '\(segment)' segment" }
      if segment.utf8.count > 255 { return "a segment is longer than 255 bytes" }
      let allowed = segment.utf8.allSatisfy { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
          || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x5F || byte == 0x2D
      }
      if !allowed { return "segment \"\(segment)\" has a character outside [A-Za-z0-9._-]" }
    }
    return nil
  }
}
