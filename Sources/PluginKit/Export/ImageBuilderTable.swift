import PluginABI

enum ImageBuilderTable {
  static func make(for type: any ImageBuilder.Type) -> UnsafeRawPointer {
    let registry = type is any RegistryImageBuilder.Type
    let table = UnsafeMutablePointer<gf_image_builder_v1>.allocate(capacity: 1)
    table.initialize(
      to: gf_image_builder_v1(
        struct_size: UInt32(MemoryLayout<gf_image_builder_v1>.size),
        build: build, build_status: buildStatus, build_logs: buildLogs, exists: exists,
        push: registry ? push : nil))
    return UnsafeRawPointer(table)
  }

  static let build: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      try Bridge.encode(BuildStartedResponse(buildId: builder.build(Bridge.decode(ImageBuildRequest.self, json))))
    }
  }

  static let buildStatus: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      try Bridge.encode(builder.buildStatus(id: Bridge.decode(BuildStatusRequest.self, json).buildId))
    }
  }

  static let buildLogs: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      let request = try Bridge.decode(BuildLogsRequest.self, json)
      return try Bridge.encode(builder.buildLogs(id: request.buildId, offset: request.offset ?? 0))
    }
  }

  static let exists: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any ImageBuilder).self) { builder, json in
      let id = try builder.imageID(tag: Bridge.decode(ImageTagRequest.self, json).tag)
      return try Bridge.encode(ImageExistsResponse(exists: id != nil, imageId: id))
    }
  }

  static let push: gf_call_fn = { instance, request, response, error in
    Bridge.call(instance, request, response, error, as: (any RegistryImageBuilder).self) {
      builder, json in
      let request = try Bridge.decode(ImagePushRequest.self, json)
      return try Bridge.encode(
        ImagePushResponse(digest: builder.push(tag: request.tag, destination: request.destination)))
    }
  }
}
