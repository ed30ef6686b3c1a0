/// The one way a run id or worker id becomes a Compute Engine instance name. Every caller
/// (launch, status, probe, delete, the pool's rows through the worker handle) uses this, so
/// the name a row records is the name of the real VM (#16).
enum InstanceName {
  static let maxLength = 63

  /// RFC 1035 label: lower-case letters, digits and '-', starts with a letter, ends with a
  /// letter or digit, at most 63 characters. `gf-` leads so a name never starts with a digit.
  static func sanitize(_ id: String) -> String {
    var name = ""
    var lastWasDash = false
    for scalar in id.lowercased().unicodeScalars {
      let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
      if ok {
        name.unicodeScalars.append(scalar)
        lastWasDash = false
      } else if !lastWasDash {
        name.append("-")
        lastWasDash = true
      }
    }
    while name.hasPrefix("-") { name.removeFirst() }
    if !name.hasPrefix("gf-") { name = "gf-" + name }
    while name.hasSuffix("-") { name.removeLast() }
    // Long ids keep a digest of the whole id, so two ids sharing a long prefix stay distinct.
    if name.count > maxLength {
      var head = String(name.prefix(maxLength - 9))
      while head.hasSuffix("-") { head.removeLast() }
      name = head + "-" + digest(id)
    }
    return name
  }

  /// FNV-1a, 32 bits, as 8 hex digits: stable across processes and platforms.
  private static func digest(_ text: String) -> String {
    var hash: UInt32 = 0x811C_9DC5
    for byte in text.utf8 {
      hash ^= UInt32(byte)
      hash = hash &* 0x0100_0193
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }
}
