import Hummingbird
import NIOCore

/// The request context of every Floe route: Hummingbird's core storage plus the client address.
struct FloeRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are collected by the routes with their own limits.
    var maxUploadSize: Int { 16 << 20 }

    /// The client's IP address as text, if known.
    var clientIP: String? { remoteAddress?.ipAddress }
}
