import Foundation
import Host
import PluginKit
import Testing

@testable import GoldfishTestSupport

@Suite("Source metadata")
struct SourceMetadataTests {
  static let description = "MNIST training images flattened to 784 float32 pixels"

  static func npy(_ schema: JSONValue? = nil, source: JSONValue? = nil) -> JSONValue {
    [
      "schema_version": 1, "description": .string(description),
      "source": source ?? ["format": "npy", "size_bytes": 188_160_128, "created_at": "2025-01-31T12:00:00Z"],
      "schema": schema ?? [
        "kind": "tensor", "primary_array": "images",
        "arrays": [
          "images": [
            "role": "features", "shape": [60000, 784], "dtype": "float32",
            "feature_names": [
              "kind": "pattern", "template": "pixel_{i}", "start": 0, "count": 784, "sample": ["pixel_0"],
            ],
          ]
        ],
      ],
    ]
  }

  static let csv: JSONValue = [
    "schema_version": 1, "description": .string(description),
    "source": [
      "format": "csv", "size_bytes": 1024, "created_at": "2025-01-31T12:00:00.250Z",
      "format_params": ["delimiter": "\t"],
    ],
    "schema": [
      "kind": "tabular", "row_count": 10, "columns": ["id", "label"], "dtypes": ["id": "int64", "label": "string"],
    ],
  ]

  static let file: JSONValue = [
    "schema_version": 1, "description": .string(description),
    "source": ["format": "file", "size_bytes": 10, "created_at": "2025-01-31T12:00:00Z"],
    "schema": ["kind": "file", "content_type": "application/json"],
  ]

  static let npz: JSONValue = [
    "schema_version": 1, "description": .string(description),
    "source": ["format": "npz", "size_bytes": 10, "created_at": "2025-01-31T12:00:00Z"],
    "schema": [
      "kind": "tensor", "primary_array": "x",
      "arrays": [
        "x": [
          "role": "features", "shape": [10, 2], "dtype": "float32",
          "feature_names": ["kind": "list", "values": ["a", "b"]],
        ],
        "y": [
          "role": "labels", "shape": [10], "dtype": "int64",
          "feature_names": ["kind": "sequence", "reason": "one label per row", "unit": "row"],
        ],
        "n": [
          "role": "metadata", "shape": [], "dtype": "int64",
          "feature_names": ["kind": "none", "reason": "a single count"],
        ],
      ],
    ],
  ]

  /// Replaces the value at a dotted path.
  func with(_ value: JSONValue, _ path: String, _ new: JSONValue?) -> JSONValue {
    let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
    guard var fields = value.objectValue else { return value }
    if parts.count == 1 {
      fields[parts[0]] = new
    } else {
      fields[parts[0]] = with(fields[parts[0]] ?? [:], parts[1], new)
    }
    return .object(fields)
  }

  func problems(_ value: JSONValue) -> [String] {
    SourceMetadata.problems(in: value).map(\.description)
  }

  @Test("valid metadata for every format passes and reads back as ok", arguments: [npy(), csv, file, npz])
  func valid(_ metadata: JSONValue) throws {
    #expect(problems(metadata).isEmpty, "\(problems(metadata))")
    try SourceMetadata.validate(metadata)
    #expect(SourceMetadata.parseStatus(metadata) == .ok)
  }

  @Test("exactly the four top-level keys")
  func topLevel() {
    let extra = with(Self.npy(), "notes", "x")
    #expect(problems(extra).contains { $0.hasPrefix("notes: unknown key") })
    let missing = with(Self.npy(), "schema_version", nil)
    #expect(problems(missing) == ["schema_version: is missing"])
    #expect(problems("text") == ["metadata should be a mapping with schema_version, description, source and schema"])
  }

  @Test("schema_version must be 1; a newer one reads back as future")
  func versions() {
    #expect(problems(with(Self.npy(), "schema_version", true)) == ["schema_version: should be 1"])
    #expect(problems(with(Self.npy(), "schema_version", 0)) == ["schema_version: should be 1"])
    let future = with(Self.npy(), "schema_version", 2)
    #expect(problems(future).first?.contains("newer") == true)
    #expect(SourceMetadata.parseStatus(future) == .future)
  }

  @Test("the description is 20 to 4000 characters, whitespace not counting")
  func descriptions() {
    #expect(problems(with(Self.npy(), "description", .string(String(repeating: "x", count: 20)))).isEmpty)
    #expect(
      problems(with(Self.npy(), "description", "too short")).first?.hasPrefix("description: is 9 characters") == true)
    #expect(!problems(with(Self.npy(), "description", .string(String(repeating: " ", count: 30) + "short"))).isEmpty)
    #expect(
      problems(with(Self.npy(), "description", .string(String(repeating: "x", count: 4001)))).first?.contains(
        "limit is 4000") == true)
    #expect(problems(with(Self.npy(), "description", 5)) == ["description: should be a string"])
  }

  @Test("source: format, size and time")
  func source() {
    #expect(
      problems(with(Self.npy(), "source.format", "directory")).first?.contains(
        "directory sources cannot carry metadata") == true)
    #expect(problems(with(Self.npy(), "source.format", "nyp")).first?.contains("did you mean \"npy\"") == true)
    for size: JSONValue in [0, -1, true, "10", .double(1.5), 1_000_000_000_000_001] {
      #expect(problems(with(Self.npy(), "source.size_bytes", size)).count == 1, "\(size)")
    }
    #expect(problems(with(Self.npy(), "source.size_bytes", 1_000_000_000_000_000)).isEmpty, "exactly 1 PB is allowed")
    for time: JSONValue in [
      "2025-01-31T12:00:00", "2025-01-31T12:00:00+00:00", "yesterday Z", "2025-13-40T12:00:00Z", 5,
    ] {
      #expect(
        problems(with(Self.npy(), "source.created_at", time)) == [
          "source.created_at: should be an ISO-8601 UTC time ending in Z, such as 2025-01-31T12:00:00Z"
        ], "\(time)")
    }
    #expect(problems(with(Self.npy(), "source.extra", 1)).first?.hasPrefix("source.extra: unknown key") == true)
  }

  @Test("csv needs format_params.delimiter from the allowed set; other formats may not have it")
  func csvParams() {
    #expect(problems(with(Self.csv, "source.format_params", nil)) == ["source.format_params: is missing"])
    #expect(
      problems(with(Self.csv, "source.format_params.delimiter", " ")).first?.hasPrefix("source.format_params.delimiter")
        == true)
    for delimiter in [",", ";", "|", "\t", ":"] {
      #expect(problems(with(Self.csv, "source.format_params.delimiter", .string(delimiter))).isEmpty)
    }
    #expect(
      problems(with(Self.file, "source.format_params", ["delimiter": ","])).first?.hasPrefix(
        "source.format_params: unknown key") == true)
  }

  @Test("tensor schemas: kind, arrays, primary_array, roles, shapes, dtypes")
  func tensors() {
    let array = "schema.arrays.images"
    #expect(problems(with(Self.npy(), "schema.kind", "tabular")) == ["schema.kind: should be tensor for a npy source"])
    #expect(
      problems(with(Self.npy(), "schema.primary_array", "labels")).first?.hasPrefix(
        "schema.primary_array: should name one of the arrays: images") == true)
    #expect(problems(with(Self.npy(), "\(array).role", "inputs")).first?.hasPrefix("\(array).role") == true)
    #expect(problems(with(Self.npy(), "\(array).shape", [60000, -1])).first?.hasPrefix("\(array).shape") == true)
    #expect(
      problems(with(Self.npy(), "\(array).shape", .array(Array(repeating: 1, count: 33)))).first?.hasPrefix(
        "\(array).shape") == true)
    #expect(problems(with(Self.npy(), "\(array).dtype", "")).first?.hasPrefix("\(array).dtype") == true)
    #expect(problems(with(Self.npy(), "\(array).extra", 1)).first?.hasPrefix("\(array).extra: unknown key") == true)
    let two = with(
      Self.npy(), "schema.arrays.labels",
      ["role": "labels", "shape": [], "dtype": "int64", "feature_names": ["kind": "none", "reason": "scalar"]])
    #expect(problems(two).contains { $0.contains("an npy file holds exactly one array") })
    #expect(problems(with(Self.npy(), "schema.arrays", [:])).first?.hasPrefix("schema.arrays") == true)
  }

  @Test("feature names: counts match the last dimension; each kind has its own rules")
  func featureNames() {
    let names = "schema.arrays.images.feature_names"
    #expect(
      problems(with(Self.npy(), "\(names).count", 10)).first?.contains(
        "10 names, but the last dimension of the shape is 784") == true)
    #expect(problems(with(Self.npy(), "\(names).template", "pixel")).first?.hasPrefix("\(names).template") == true)
    #expect(
      problems(with(Self.npy(), "\(names).sample", .array(Array(repeating: "p", count: 101)))).first?.hasPrefix(
        "\(names).sample") == true)
    #expect(
      problems(with(Self.npy(), names, ["kind": "list", "values": ["a"]])).first?.contains("the list has 1 names")
        == true)
    #expect(
      problems(with(Self.npy(), names, ["kind": "none", "reason": "x"])).first?.contains("none is for scalar arrays")
        == true)
    #expect(
      problems(with(Self.npy(), names, ["kind": "sequence", "reason": "pixels", "interval": 0])).first?.hasPrefix(
        "\(names).interval") == true)
    #expect(
      problems(with(Self.npy(), names, ["kind": "sequence", "reason": " "])).first?.hasPrefix("\(names).reason") == true
    )
    #expect(problems(with(Self.npy(), names, ["kind": "words"])).first?.hasPrefix("\(names).kind") == true)
    let scalar = with(
      with(Self.npy(), "schema.arrays.images.shape", []), names, ["kind": "sequence", "reason": "time"])
    #expect(problems(scalar).first?.contains("sequence is for arrays with at least one dimension") == true)
  }

  @Test("tabular schemas: unique columns, dtypes for exactly those columns")
  func tabular() {
    #expect(
      problems(with(Self.csv, "schema.columns", ["id", "id", "label"])).contains(
        "schema.columns: columns must be unique; repeated: id"))
    let mismatch = with(Self.csv, "schema.dtypes", ["id": "int64", "extra": "string"])
    #expect(problems(mismatch).contains("schema.dtypes: has no dtype for column(s) label"))
    #expect(problems(mismatch).contains("schema.dtypes: names column(s) not in columns: extra"))
    #expect(
      problems(with(Self.csv, "schema.row_count", -1)) == ["schema.row_count: should be a whole number, 0 or more"])
    #expect(problems(with(Self.csv, "schema.kind", "tensor")) == ["schema.kind: should be tabular for a csv source"])
  }

  @Test("file schemas need a content type")
  func fileSchema() {
    #expect(problems(with(Self.file, "schema.content_type", nil)) == ["schema.content_type: is missing"])
    #expect(problems(with(Self.file, "schema.content_type", "  ")).first?.hasPrefix("schema.content_type") == true)
  }

  @Test("size, depth and node limits stop hostile documents early")
  func limits() {
    var deep: JSONValue = "bottom"
    for _ in 0..<25 { deep = ["x": deep] }
    #expect(problems(with(Self.npy(), "source.extra", deep)) == ["is nested more than 20 levels deep"])
    let wide = JSONValue.array(Array(repeating: [:], count: 100_001))
    #expect(problems(with(Self.npy(), "extra", wide)).first?.contains("100000") == true)
    let big = JSONValue.string(String(repeating: "x", count: 1_000_001))
    #expect(problems(with(Self.npy(), "description", big)).first?.contains("the limit is 1000000") == true)
  }

  @Test("every problem is reported at once, in one metadata_invalid error")
  func aggregation() throws {
    let broken = with(
      with(with(Self.npy(), "description", "short"), "source.size_bytes", 0), "schema.primary_array", "nope")
    do {
      try SourceMetadata.validate(broken)
      Issue.record("expected an error")
    } catch {
      #expect(error.code == .metadataInvalid)
      #expect(error.message.hasPrefix("source metadata is invalid: description: is 5 characters"), "\(error.message)")
      #expect(error.message.contains("(and 2 more problems)"))
      let listed = try #require(error.detail["problems"]?.arrayValue)
      #expect(
        listed.compactMap { $0["path"]?.stringValue } == ["description", "source.size_bytes", "schema.primary_array"])
    }
  }

  @Test("parse status: missing, invalid, future, ok, also from JSON text")
  func status() {
    #expect(SourceMetadata.parseStatus(nil) == .missing)
    #expect(SourceMetadata.parseStatus(.null) == .missing)
    #expect(SourceMetadata.parseStatus(["schema_version": "1"]) == .invalid)
    #expect(SourceMetadata.parseStatus(with(Self.npy(), "description", "short")) == .invalid)
    #expect(SourceMetadata.parseStatus(json: nil) == .missing)
    #expect(SourceMetadata.parseStatus(json: "{not json") == .invalid)
    #expect(SourceMetadata.parseStatus(json: "{\"schema_version\": 3}") == .future)
    let encoded = (try? JSONEncoder().encode(Self.file)).map { String(decoding: $0, as: UTF8.self) }
    #expect(SourceMetadata.parseStatus(json: encoded) == .ok)
  }
}
