import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIProfile
import X509

/// The CAs this service runs, loaded from their material: two per configured prefecture.
public struct AuthorityRegistry: Sendable {
    public let publication: PublicationPoints
    private let factories: [CertificateAuthorityID: EndEntityCertificateFactory]

    public init(authorities: [CertificateAuthority], publication: PublicationPoints) {
        self.publication = publication
        factories = Dictionary(uniqueKeysWithValues: authorities.map {
            ($0.id, EndEntityCertificateFactory(authority: $0, publication: publication))
        })
    }

    /// Every CA of `configuration`, in order.
    public static func identifiers(of configuration: Configuration) -> [CertificateAuthorityID] {
        configuration.prefectures.flatMap { prefecture in
            CertificateKind.allCases.map { CertificateAuthorityID(prefecture: prefecture.code, kind: $0) }
        }
    }

    /// Provisions every configured CA that has no material yet. Returns the ones it created.
    @discardableResult
    public static func provisionMissing(_ configuration: Configuration, with provisioning: CAProvisioning,
                                        now: Date = Date()) throws -> [CertificateAuthorityID] {
        var created: [CertificateAuthorityID] = []
        for id in identifiers(of: configuration) where !provisioning.isProvisioned(id) {
            let prefecture = configuration.prefecture(id.prefecture)!
            _ = try provisioning.provision(id, operatorName: prefecture.ca(id.kind).operatorName,
                                           development: configuration.service.mode == .development, now: now)
            created.append(id)
        }
        return created
    }

    /// Loads every configured CA; fails if any has no material.
    public static func load(_ configuration: Configuration, with provisioning: CAProvisioning) throws -> AuthorityRegistry {
        AuthorityRegistry(authorities: try identifiers(of: configuration).map(provisioning.load),
                          publication: provisioning.publication)
    }

    public func factory(for id: CertificateAuthorityID) -> EndEntityCertificateFactory? { factories[id] }

    public func authority(for id: CertificateAuthorityID) -> CertificateAuthority? { factories[id]?.authority }

    public var all: [CertificateAuthority] { factories.keys.sorted().map { factories[$0]!.authority } }
}
