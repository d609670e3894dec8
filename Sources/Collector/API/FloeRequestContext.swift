import Hummingbird
import NIOCore

/// The request context of every Floe route: Hummingbird's core storage plus the client address.
struct FloeRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The connection, so that a route can close it (an oversized body too large to drain).
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// Bodies are collected by the routes with their own limits.
    var maxUploadSize: Int { 16 << 20 }

    /// The client's IP address as text, if known.
    var clientIP: String? { remoteAddress?.ipAddress }
}
