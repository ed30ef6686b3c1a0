import Foundation
import GRDB

/// The project database: one SQLite file in WAL mode shared by every goldfish process on
/// the project (MCP servers and CLIs). Writes take the write lock up front (IMMEDIATE) and
/// wait for each other, so no process ever sees a "database is locked" error it has to handle.
public final class ProjectStore: Sendable {
  let pool: DatabasePool
  public let path: String

  public static func open(path: String) throws(GoldfishError) -> ProjectStore {
    var configuration = Configuration()
    configuration.busyMode = .timeout(30)
    configuration.foreignKeysEnabled = true
    configuration.label = "goldfish"
    do {
      let pool = try DatabasePool(path: path, configuration: configuration)
      try Migrations.migrator.migrate(pool)
      return ProjectStore(pool: pool, path: path)
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw StoreError.translate(error, while: "opening the project database \(path)")
    }
  }

  private init(pool: DatabasePool, path: String) {
    self.pool = pool
    self.path = path
  }

  /// The migrations applied to this database, oldest first.
  public func appliedMigrations() throws(GoldfishError) -> [String] {
    try read { db in try Migrations.migrator.appliedIdentifiers(db).sorted() }
  }

  func read<T>(_ body: (Database) throws -> T) throws(GoldfishError) -> T {
    do {
      return try pool.read(body)
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw StoreError.translate(error, while: "reading the project database")
    }
  }

  func write<T>(_ body: (Database) throws -> T) throws(GoldfishError) -> T {
    do {
      return try pool.write(body)
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw StoreError.translate(error, while: "writing the project database")
    }
  }
}
