import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether a Docker engine answers on its unix socket (`GET /_ping`), within a second.
enum DockerProbe {
  static func socketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let host = environment["DOCKER_HOST"], host.hasPrefix("unix://") {
      return String(host.dropFirst("unix://".count))
    }
    return "/var/run/docker.sock"
  }

  static func answers(socket path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      buffer.copyBytes(from: bytes)
      buffer[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else { return false }
    let request = Array("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".utf8)
    guard write(fd, request, request.count) == request.count else { return false }
    var response = [UInt8](repeating: 0, count: 512)
    let count = read(fd, &response, response.count)
    guard count > 0 else { return false }
    return String(decoding: response[0..<count], as: UTF8.self).contains(" 200 ")
  }
}
