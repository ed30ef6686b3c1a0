import PluginABI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

enum ObjectStorageTable {
  /// Default and ceiling of `get_bytes`: it is meant for small objects only.
  static let defaultMaxBytes = 1 << 20
  static let defaultPageSize = 1000
  static let maxPageSize = 10_000

  static func make(for type: any ObjectStorage.Type) -> UnsafeRawPointer {
    let local = type is any LocalObjectStorage.Type
    let table = UnsafeMutablePointer<gf_object_storage_v1>.allocate(capacity: 1)
    table.initialize(
      to: gf_object_storage_v1(
        struct_size: UInt32(MemoryLayout<gf_object_storage_v1>.size),
        put_file: putFile, get_file: getFile, put_bytes: putBytes, get_bytes: getBytes,
        stat: stat, exists: exists, list: list, delete_object: deleteObject,
        local_path: local ? localPath : nil, uri_for: uriFor))
    return UnsafeRawPointer(table)
  }

  static let putFile: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      let request = try Bridge.decode(PutFileRequest.self, json)
      return try Bridge.encode(
        storage.putFile(uri: request.uri, path: request.path, contentType: request.contentType))
    }
  }

  static let getFile: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      let request = try Bridge.decode(GetFileRequest.self, json)
      return try Bridge.encode(GetFileResponse(size: storage.getFile(uri: request.uri, path: request.path)))
    }
  }

  static let putBytes:
    @convention(c) (
      UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int, OutString,
      OutString
    ) -> Int32 = { instance, request, data, length, response, error in
      Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) {
        storage, json in
        let request = try Bridge.decode(PutBytesRequest.self, json)
        let buffer = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
        return try Bridge.encode(
          storage.putBytes(uri: request.uri, data: buffer, contentType: request.contentType))
      }
    }

  static let getBytes:
    @convention(c) (
      UnsafeMutableRawPointer?, UnsafePointer<CChar>?,
      UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int>?, OutString
    ) -> Int32 = { instance, request, data, length, error in
      Bridge.call(instance, request, nil, error, as: (any ObjectStorage).self) { storage, json in
        let request = try Bridge.decode(GetBytesRequest.self, json)
        let bytes = try storage.getBytes(
          uri: request.uri, maxBytes: request.maxBytes ?? defaultMaxBytes)
        let buffer = malloc(max(bytes.count, 1))?.assumingMemoryBound(to: UInt8.self)
        guard let buffer else { throw PluginError(.internal, "out of memory") }
        bytes.withUnsafeBufferPointer { source in
          if let base = source.baseAddress { buffer.update(from: base, count: source.count) }
        }
        data?.pointee = buffer
        length?.pointee = bytes.count
        return nil
      }
    }

  static let stat: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      try Bridge.encode(storage.stat(uri: Bridge.decode(ObjectURIRequest.self, json).uri))
    }
  }

  static let exists: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      try Bridge.encode(
        ObjectExistsResponse(exists: storage.exists(uri: Bridge.decode(ObjectURIRequest.self, json).uri)))
    }
  }

  static let list: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      let request = try Bridge.decode(ListObjectsRequest.self, json)
      let size = request.pageSize ?? defaultPageSize
      guard (1...maxPageSize).contains(size) else {
        throw PluginError(
          .invalidArgument, "page_size must be between 1 and \(maxPageSize), got \(size)")
      }
      return try Bridge.encode(
        storage.list(prefix: request.prefix, pageToken: request.pageToken, pageSize: size))
    }
  }

  static let deleteObject: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      try Bridge.encode(
        ObjectDeletedResponse(deleted: storage.delete(uri: Bridge.decode(ObjectURIRequest.self, json).uri)))
    }
  }

  static let localPath: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any LocalObjectStorage).self) {
      storage, json in
      try Bridge.encode(LocalPathResponse(path: storage.localPath(uri: Bridge.decode(ObjectURIRequest.self, json).uri)))
    }
  }

  static let uriFor: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ObjectStorage).self) { storage, json in
      try Bridge.encode(URIForResponse(uri: storage.uri(forKey: Bridge.decode(URIForRequest.self, json).key)))
    }
  }
}
