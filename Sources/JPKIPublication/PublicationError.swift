import Foundation

/// Why a CRL could not be published. The previous file stays in place and is served.
public enum PublicationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file operation failed.
    case io(path: String, errno: Int32)
    /// The partition's distribution point cannot be named: its municipality is no longer
    /// configured, so the issuingDistributionPoint would not match its certificates'.
    case unknownMunicipality(partition: String)
    /// No CA of the configuration issues into this partition.
    case unknownAuthority(String)
    /// Another process is publishing into the same directory; this pass publishes nothing.
    case anotherPublisher(String)
    /// Another process (a running `serve`) signs the OCSP responses of this data directory.
    case anotherOCSPSigner(String)

    public var description: String {
        switch self {
        case .io(let path, let errno): "\(path): \(String(cString: strerror(errno)))"
        case .unknownMunicipality(let partition): "partition \(partition): its municipality is not configured"
        case .unknownAuthority(let ca): "no configured CA \(ca)"
        case .anotherPublisher(let root): "another process is publishing CRLs into \(root); try again when it is done"
        case .anotherOCSPSigner(let data): "another process (jpki-ca serve?) signs the OCSP responses of \(data)"
        }
    }
}
