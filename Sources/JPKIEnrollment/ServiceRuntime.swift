import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIStore
import Logging

/// The running service's parts, opened from `ca-config/` and the data directory:
/// `<data>/jpki-ca.sqlite` for the store, `<data>/keys/` for CA keys, CA certificates and the
/// resident-code key.
public struct ServiceRuntime: Sendable {
    public let configuration: Configuration
    public let database: CertificateDatabase
    public let authorities: AuthorityRegistry
    public let enrollment: EnrollmentService
    /// Keys the resident code for matching (HMAC); the code itself is never stored.
    public let residentCodes: ResidentCodeHasher
    /// Encrypts the delegated OCSP responders' keys as the CA keys are.
    public let keyVault: FileKeyVault

    /// Where the passphrase that protects CA keys comes from, in order: the environment variable
    /// `JPKI_CA_PASSPHRASE`, the file named by `JPKI_CA_PASSPHRASE_FILE`, and only in
    /// development mode the published development passphrase.
    public static func passphrase(for configuration: Configuration,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let value = environment["JPKI_CA_PASSPHRASE"], !value.isEmpty { return value }
        if let file = environment["JPKI_CA_PASSPHRASE_FILE"] {
            let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
            guard !text.isEmpty else {
                throw ConfigurationError.invalid(file: file, reason: "the CA passphrase file is empty")
            }
            return text
        }
        guard configuration.service.mode == .development else {
            throw ConfigurationError.invalid(file: "environment",
                                             reason: "production mode needs JPKI_CA_PASSPHRASE or JPKI_CA_PASSPHRASE_FILE")
        }
        return FileKeyVault.developmentPassphrase
    }

    public static func dataDirectory(of configuration: Configuration, relativeTo base: URL) -> URL {
        let path = configuration.service.dataDirectory
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    }

    /// PBKDF2 rounds for new keys: as configured, else 600,000 in production and 1,000 in
    /// development, where the passphrase is published and stretching it would only slow starts.
    static func keyEncryptionIterations(_ configuration: Configuration) -> Int {
        configuration.service.keyEncryptionIterations
            ?? (configuration.service.mode == .development ? 1_000 : EncryptedPrivateKeyInfo.defaultIterations)
    }

    static func keyVault(_ configuration: Configuration, dataDirectory: URL, passphrase: String) -> FileKeyVault {
        FileKeyVault(directory: dataDirectory.appendingPathComponent("keys"), passphrase: passphrase,
                     iterations: keyEncryptionIterations(configuration))
    }

    public static func provisioning(_ configuration: Configuration, dataDirectory: URL, passphrase: String) -> CAProvisioning {
        let vault = keyVault(configuration, dataDirectory: dataDirectory, passphrase: passphrase)
        return CAProvisioning(vault: vault, certificateDirectory: vault.directory,
                              publication: PublicationPoints(baseURL: configuration.service.publicBaseURL))
    }

    /// Creates the material of every configured CA that has none, and the resident-code key, and
    /// records each new CA in the audit log. The data directory is made private (0700): it holds
    /// the keys and a database of certificates that carry the four items.
    public static func initialise(_ configuration: Configuration, dataDirectory: URL, passphrase: String,
                                  actor: String, now: Date = Date()) throws -> [CertificateAuthorityID] {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
        let provisioning = provisioning(configuration, dataDirectory: dataDirectory, passphrase: passphrase)
        let created = try AuthorityRegistry.provisionMissing(configuration, with: provisioning, now: now)
        _ = try ResidentCodeHasher(directory: provisioning.certificateDirectory, passphrase: passphrase, createIfMissing: true,
                                   iterations: keyEncryptionIterations(configuration))
        if !created.isEmpty {
            let database = try CertificateDatabase(path: databasePath(in: dataDirectory))
            for id in created {
                let certificate = try provisioning.load(id).certificate
                try database.audit(AuditEvent(actor: actor, action: "ca.created", details: [
                    "ca": id.description, "subject": certificate.subject.description,
                    "serial": certificate.serialNumber.hex, "mode": configuration.service.mode.rawValue,
                ]), at: now)
            }
        }
        return created
    }

    public static func databasePath(in dataDirectory: URL) -> String {
        dataDirectory.appendingPathComponent("jpki-ca.sqlite").path
    }

    /// Opens the service. In development mode, missing CAs are created first (and logged loudly);
    /// in production they must exist, made by `jpki-ca init`.
    public static func open(configuration: Configuration, dataDirectory: URL,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            logger: Logger) throws -> ServiceRuntime {
        let passphrase = try passphrase(for: configuration, environment: environment)
        if configuration.service.mode == .development {
            let created = try initialise(configuration, dataDirectory: dataDirectory, passphrase: passphrase,
                                         actor: "development-start")
            for id in created {
                logger.warning("created DEVELOPMENT CA \(id): its key is protected by a published passphrase and must never be trusted")
            }
        }
        let provisioning = provisioning(configuration, dataDirectory: dataDirectory, passphrase: passphrase)
        let authorities = try AuthorityRegistry.load(configuration, with: provisioning)
        let hasher = try ResidentCodeHasher(directory: provisioning.certificateDirectory, passphrase: passphrase,
                                            createIfMissing: false)
        let database = try CertificateDatabase(path: databasePath(in: dataDirectory))
        return ServiceRuntime(
            configuration: configuration, database: database, authorities: authorities,
            enrollment: EnrollmentService(configuration: configuration, authorities: authorities, database: database,
                                          hasher: hasher, logger: logger),
            residentCodes: hasher,
            keyVault: keyVault(configuration, dataDirectory: dataDirectory, passphrase: passphrase))
    }
}
