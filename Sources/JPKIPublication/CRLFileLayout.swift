import Foundation
import JPKIAuthority
import JPKIStore

/// Where CRLs are written: `crl/<prefecture>/<kind>/<partition>.crl` for a partition's full CRL,
/// `<partition>-delta.crl` for its delta, `arl.crl` for the CA's ARL. The same paths follow
/// `/crl/` in the HTTP URIs written into certificates (``PublicationPoints``), so the directory
/// can also be served as it is by any web server.
public struct CRLFileLayout: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func full(_ partition: CRLPartition) -> URL {
        directory(partition.ca).appendingPathComponent("\(partition.id).crl")
    }

    public func delta(_ partition: CRLPartition) -> URL {
        directory(partition.ca).appendingPathComponent("\(partition.id)-delta.crl")
    }

    public func arl(_ ca: CertificateAuthorityID) -> URL {
        directory(ca).appendingPathComponent("arl.crl")
    }

    /// The CRL a file name of `ca`'s directory names: its number sequence (partition id or
    /// `arl`), full or delta, and its path. `nil` for any other name, so that nothing but CRLs can
    /// be asked for (no `..`, no other files).
    public func resolve(ca: CertificateAuthorityID, file: String) -> (sequence: String, scope: CRLPublication.Scope, url: URL)? {
        guard file.hasSuffix(".crl") else { return nil }
        let name = String(file.dropLast(4))
        if name == "arl" { return ("arl", .full, arl(ca)) }
        let isDelta = name.hasSuffix("-delta")
        guard let partition = CRLPartition(ca: ca, id: isDelta ? String(name.dropLast(6)) : name) else { return nil }
        return isDelta ? (partition.id, .delta, delta(partition)) : (partition.id, .full, full(partition))
    }

    func directory(_ ca: CertificateAuthorityID) -> URL {
        root.appendingPathComponent("\(ca.prefecture)").appendingPathComponent("\(ca.kind)")
    }
}
