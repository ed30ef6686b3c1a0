import Foundation
import PluginKit
import PluginSupport

extension GoldfishError.Code {
  public static let storedObjectDamaged = Self("stored_object_damaged")
}

/// A stage reads copies of stored objects, never the objects themselves: a stage that
/// truncates or appends to its input changes its own copy only. The copy shares blocks with
/// the object where the file system can (a reflink, FICLONE), else it is a byte copy; either
/// way its SHA-256 is computed on the way, so a damaged object is caught before a stage reads it.
enum StoredObjectCopy {
  /// _IOW(0x94, 9, int): clone a whole file (btrfs, XFS, bcachefs; ext4 refuses).
  private static let ficlone: UInt = 0x4004_9409

  /// Copies `source` to a new read-only file at `destination`; returns its size and SHA-256 (hex).
  static func copy(_ source: String, to destination: String) throws(GoldfishError) -> (size: Int64, sha256: String) {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw failure(errno, "cannot read", source) }
    defer { close(input) }
    unlink(destination)
    let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
    guard output >= 0 else { throw failure(errno, "cannot create", destination) }
    defer { close(output) }
    if ioctl(output, ficlone, input) == 0 {
      do {
        return try POSIXFile.sha256(of: destination)
      } catch {
        throw GoldfishError(.ioFailed, error.message)
      }
    }
    do {
      return try POSIXFile.copyContents(input, source, to: output, destination)
    } catch {
      throw GoldfishError(.ioFailed, error.message)
    }
  }

  /// A file a storage downloaded for a stage, made read-only, with its SHA-256.
  static func seal(_ path: String) throws(GoldfishError) -> (size: Int64, sha256: String) {
    chmod(path, 0o444)
    do {
      return try POSIXFile.sha256(of: path)
    } catch {
      throw GoldfishError(.ioFailed, error.message)
    }
  }

  private static func failure(_ code: Int32, _ action: String, _ path: String) -> GoldfishError {
    let error = POSIXFile.error(code, action, path)
    return GoldfishError(.ioFailed, error.message)
  }
}
