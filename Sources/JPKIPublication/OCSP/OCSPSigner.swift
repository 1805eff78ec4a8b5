import Foundation
import JPKIAuthority
import JPKIProfile
import JPKIStore
import Synchronization

/// Signs OCSP responses with each CA's current delegated responder: ahead of time for the
/// store and the cache, and on demand for what cannot be pre-signed.
public struct OCSPSigner: Sendable {
    let responders: OCSPResponders
    let issuers: [CertificateAuthorityID: OCSPIssuer]
    /// nextUpdate − thisUpdate, in seconds.
    let validity: Int64

    /// A response for a serial the CA never issued lives at most an hour: short, in case a
    /// client asked before the certificate was recorded.
    static let unknownValidity: Int64 = 3_600

    public enum Failure: Error, Sendable {
        /// No responder for the CA yet (the refresher makes one at start).
        case noResponder(String)
    }

    /// A fresh response for every standing, with the SHA-1 CertID of RFC 5019 §2.1.1, which
    /// lightweight clients send. A response is due again when half its window has passed;
    /// with `spread`, a certificate's first response is due at a random point of that half, so
    /// that the re-signing of certificates signed together (a new responder's first pass, a
    /// bulk import) spreads evenly over the half-window and the signing load stays flat.
    public func presign(_ standings: [CertificateStanding], at now: Int64, spread: Bool = false) throws
        -> [(stored: StoredOCSPResponse, cached: PresignedResponse)] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, standings.count / 256))
        let size = (standings.count + chunks - 1) / chunks
        let results = Mutex<[Int: Result<[(StoredOCSPResponse, PresignedResponse)], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let part = standings[min(chunk * size, standings.count)..<min((chunk + 1) * size, standings.count)]
            let result = Result { try part.compactMap { try presignOne($0, at: now, spread: spread) } }
            results.withLock { $0[chunk] = result }
        }
        return try results.withLock { results in try (0..<chunks).flatMap { try results[$0]!.get() } }
    }

    /// nil for a row no responder here can answer for (a CA no longer configured, a malformed
    /// serial): skipped, so that one bad row cannot hold up every other certificate's response.
    private func presignOne(_ standing: CertificateStanding, at now: Int64, spread: Bool)
        throws -> (StoredOCSPResponse, PresignedResponse)? {
        guard let ca = CertificateAuthorityID(standing.ca), let issuer = issuers[ca],
              let serial = [UInt8](hexadecimal: standing.serial) else { return nil }
        guard let responder = responders.current(for: ca) else { throw Failure.noResponder(standing.ca) }
        let status = OCSPCertStatus(standing)
        let nextUpdate = min(now + validity, Int64(responder.identity.certificate.notValidAfter.timeIntervalSince1970))
        let half = max(1, (nextUpdate - now) / 2)
        let refreshAt = now + (spread ? Int64.random(in: 1...half) : half)
        let signed = try responder.identity.sign(OCSPResponseData(
            responderKeyHash: responder.identity.keyHash, producedAt: now,
            responses: [OCSPSingleResponse(certID: issuer.certID(serial: serial[...]), status: status,
                                           thisUpdate: now, nextUpdate: nextUpdate)]))
        return (StoredOCSPResponse(standing: standing, responder: responder.id, thisUpdate: now, nextUpdate: nextUpdate,
                                   refreshAt: refreshAt, responseData: signed.responseData, signature: signed.signature),
                PresignedResponse(status: status, thisUpdate: now, nextUpdate: nextUpdate, signed: signed,
                                  responder: responder.identity))
    }

    /// A response signed now for `certIDs`, all of `ca`, answering each with its standing (nil:
    /// never issued, `unknown`): the client's CertIDs (its hash algorithm, issuer hashes and
    /// serial, re-encoded with NULL hash parameters) and its nonce, as sent.
    public func signNow(_ certIDs: [OCSPCertID], standings: [CertificateStanding?], ca: CertificateAuthorityID,
                        nonce: ArraySlice<UInt8>?, at now: Int64) throws -> [UInt8] {
        guard let responder = responders.current(for: ca) else { throw Failure.noResponder(ca.description) }
        let responderExpiry = Int64(responder.identity.certificate.notValidAfter.timeIntervalSince1970)
        let responses = zip(certIDs, standings).map { certID, standing in
            let window = standing == nil ? Self.unknownValidity : validity
            return OCSPSingleResponse(certID: certID, status: standing.map(OCSPCertStatus.init) ?? .unknown,
                                      thisUpdate: now, nextUpdate: min(now + window, responderExpiry))
        }
        return try responder.identity.response(responder.identity.sign(OCSPResponseData(
            responderKeyHash: responder.identity.keyHash, producedAt: now, responses: responses, nonce: nonce)))
    }
}
