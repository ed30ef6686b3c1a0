import PluginABI

private struct BuildIDRequest: Decodable {
  private enum CodingKeys: String, CodingKey {
    case buildId = "build_id"
    case offset
  }

  var buildId: String
  var offset: Int64?
}

private struct TagRequest: Decodable {
  var tag: String
}

private struct PushRequest: Decodable {
  var tag: String
  var destination: String
}

enum ImageBuilderTable {
  static func make(for type: any ImageBuilder.Type) -> UnsafeRawPointer {
    let registry = type is any RegistryImageBuilder.Type
    return ABITableBuilder.make(ImageBuilderFunction.self, size: MemoryLayout<gf_image_builder_v1>.size) {
      function in
      let slot: gf_call_fn? =
        switch function {
        case .build: build
        case .buildStatus: buildStatus
        case .buildLogs: buildLogs
        case .exists: exists
        case .push: registry ? push : nil
        }
      return slot.map(ABITableBuilder.slot)
    }
  }

  static let build: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      let id = try builder.build(Bridge.decode(ImageBuildRequest.self, json))
      return try Bridge.encode(JSONValue.object(["build_id": .string(id)]))
    }
  }

  static let buildStatus: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      try Bridge.encode(builder.buildStatus(id: Bridge.decode(BuildIDRequest.self, json).buildId))
    }
  }

  static let buildLogs: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      let request = try Bridge.decode(BuildIDRequest.self, json)
      return try Bridge.encode(builder.buildLogs(id: request.buildId, offset: request.offset ?? 0))
    }
  }

  static let exists: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      let id = try builder.imageID(tag: Bridge.decode(TagRequest.self, json).tag)
      return try Bridge.encode(
        JSONValue.object(["exists": .bool(id != nil), "image_id": id.map { .string($0) } ?? .null]))
    }
  }

  static let push: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RegistryImageBuilder).self) {
      builder, json in
      let request = try Bridge.decode(PushRequest.self, json)
      let digest = try builder.push(tag: request.tag, destination: request.destination)
      return try Bridge.encode(JSONValue.object(["digest": .string(digest)]))
    }
  }
}
