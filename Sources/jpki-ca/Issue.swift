import ArgumentParser
import Foundation
import JPKIAuthority
import JPKIEnrollment
import JPKIProfile
import Logging
import SwiftASN1
import X509

struct Issue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enroll a resident from a JSON application file, as a desk operator would over HTTP.",
        discussion: """
            The application has the shape of POST /v1/enrollments (docs/api.md). CSRs may be given \
            in the file or as --csr KIND=FILE (PEM or DER). Certificates are written as PEM to \
            --out (default: the current directory) as <issuer>-<serial>.pem with / replaced by -.
            """)

    @OptionGroup var options: ServiceOptions

    @Option(help: "The JSON application file.")
    var application: String

    @Option(help: "A CSR for one kind: signing=FILE or user-authentication=FILE. Repeatable.")
    var csr: [String] = []

    @Option(name: .customLong("operator"), help: "The id of the desk operator on whose behalf to enroll.")
    var operatorID: String

    @Option(help: "Where to write the issued certificates.")
    var out: String = "."

    func run() async throws {
        let logger = Logger(label: "jpki-ca")
        let runtime = try options.openRuntime(logger: logger)
        guard let requester = runtime.configuration.service.operators.first(where: { $0.id == operatorID }) else {
            throw CommandFailure("no operator \(operatorID) in service.yaml")
        }
        var request = try EnrollmentApplication.decode(json: try Data(contentsOf: URL(fileURLWithPath: application)))
        for pair in csr {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, CertificateKind(rawValue: parts[0]) != nil else {
                throw CommandFailure("--csr takes KIND=FILE with KIND signing or user-authentication, not \(pair)")
            }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: parts[1]))
            let text = String(data: bytes, encoding: .utf8).flatMap { $0.contains("-----BEGIN") ? $0 : nil }
                ?? bytes.base64EncodedString()
            request.csrs = (request.csrs ?? [:]).merging([parts[0]: text]) { $1 }
        }
        let issued: [IssuedCertificate]
        do {
            issued = try await runtime.enrollment.enroll(request, by: requester)
        } catch let error as EnrollmentError {
            throw CommandFailure("refused: \(error)")
        }
        for cert in issued {
            let file = URL(fileURLWithPath: out)
                .appendingPathComponent("\(cert.ca.description.replacingOccurrences(of: "/", with: "-"))-\(cert.serialHex).pem")
            try Data((PEMDocument(type: Certificate.defaultPEMDiscriminator, derBytes: cert.der).text + "\n").utf8).write(to: file)
            let superseded = cert.supersedes.map { " (supersedes \($0.ca) \($0.serial))" } ?? ""
            print("\(cert.kind) \(cert.ca) serial \(cert.serialHex) until \(cert.certificate.notValidAfter)\(superseded) -> \(file.path)")
        }
    }
}
