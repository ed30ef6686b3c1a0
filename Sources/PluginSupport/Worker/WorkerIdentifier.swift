import PluginKit

/// The rule for worker ids and run ids used in mailbox keys: one key segment of
/// `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 128 bytes. A slash can never appear, so a run's
/// paths always hold exactly one `runs/` segment (upstream §5.7 #6).
public enum WorkerIdentifier {
  public static let maxLength = 128

  public static func isValid(_ id: String) -> Bool {
    let bytes = Array(id.utf8)
    guard let first = bytes.first, bytes.count <= maxLength, isAlphanumeric(first) else { return false }
    return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
  }

  /// Throws `invalid_argument` naming what the id is (`what`: "run id", "worker id").
  public static func validate(_ id: String, _ what: String) throws(PluginError) {
    guard isValid(id) else {
      throw PluginError(
        .invalidArgument,
        "invalid \(what) \(id.debugDescription): use letters, digits, '.', '_' and '-' "
          + "(starting with a letter or digit), at most \(maxLength) characters",
        detail: ["id": .string(id)])
    }
  }

  private static func isAlphanumeric(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
  }
}
