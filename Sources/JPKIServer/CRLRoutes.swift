import Foundation
import Hummingbird
import JPKIAuthority
import JPKIProfile
import JPKIPublication
import JPKIStore

extension APIRoutes {
    /// `GET /crl/{prefecture}/{kind}/{file}`: the CRLs at the URIs written into certificates
    /// (cRLDistributionPoints, freshestCRL) and CA certificates (the ARL). Public, as RFC 5280
    /// §4.2.1.13 expects of an HTTP distribution point: `application/pkix-crl` (RFC 2585 §4.2),
    /// DER. HTTP caches may keep a CRL until its nextUpdate (a delta for one publication
    /// interval at most) and revalidate with its ETag or Last-Modified (the file's), which answer
    /// 304 when unchanged.
    static func addCRLRoutes(to router: Router<OperatorRequestContext>, publisher: CRLPublisher) {
        router.get("/crl/:prefecture/:kind/:file") { request, context in
            try await crl(publisher, request, context)
        }
    }

    static func crl(_ publisher: CRLPublisher, _ request: Request, _ context: OperatorRequestContext) async throws -> Response {
        let notFound = APIError(.notFound, code: "unknown_crl", "no such CRL; certificates name theirs in cRLDistributionPoints")
        guard let prefecture = PrefectureCode(context.parameters.get("prefecture") ?? ""),
              let kind = CertificateKind(rawValue: context.parameters.get("kind") ?? ""),
              let file = context.parameters.get("file"),
              let resolved = publisher.generator.layout.resolve(ca: CertificateAuthorityID(prefecture: prefecture, kind: kind), file: file)
        else { throw notFound }
        let ca = CertificateAuthorityID(prefecture: prefecture, kind: kind).description
        guard let publication = try publisher.generator.database.latestPublication(ca: ca, partition: resolved.sequence,
                                                                                     scope: resolved.scope),
              let file = try? CRLFile(opening: resolved.url) else {
            throw APIError(.notFound, code: "crl_not_published", "that CRL has not been published yet")
        }
        // The validators come from the open file, which is only ever replaced by rename, so they
        // always describe the bytes sent. The lifetime comes from the latest record: after a crash
        // between a rename and its record, that is the previous CRL's, which ends sooner. A delta
        // is cached no longer than the interval at which deltas are published, or shared caches
        // would hide the next one.
        let now = Int64(Date().timeIntervalSince1970)
        var lifetime = max(0, publication.nextUpdate - now)
        if resolved.scope == .delta { lifetime = min(lifetime, Int64(publisher.settings.deltaInterval)) }
        var headers: HTTPFields = [
            .contentType: "application/pkix-crl",
            .eTag: file.etag,
            .lastModified: HTTPDate.format(file.modified),
            .expires: HTTPDate.format(now + lifetime),
            .cacheControl: "public, max-age=\(lifetime)",
        ]
        if Self.isFresh(request.headers, etag: file.etag, lastModified: file.modified) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: file.body())
    }

    /// RFC 9110 §13.1: If-None-Match decides when present; otherwise If-Modified-Since.
    static func isFresh(_ headers: HTTPFields, etag: String, lastModified: Int64) -> Bool {
        if let match = headers[.ifNoneMatch] {
            return match.split(separator: ",").contains { tag in
                let tag = tag.trimmingCharacters(in: .whitespaces)
                return tag == "*" || tag == etag || tag == "W/\(etag)"
            }
        }
        if let since = headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return lastModified <= since
        }
        return false
    }
}

/// A published CRL opened for one response, with validators from the open file. Each
/// publication renames a new file into place, so its inode, size and modification time name
/// one version (RFC 9110 §8.8.3: an entity tag that changes whenever the content does). The
/// bytes are read only for a 200, from the same open file, in chunks: a download holds one chunk
/// in memory, however large the CRL.
final class CRLFile: @unchecked Sendable {
    private let handle: FileHandle
    let etag: String
    let modified: Int64
    let size: Int

    static let chunkSize = 256 * 1024

    init(opening url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
        var status = stat()
        guard fstat(handle.fileDescriptor, &status) == 0 else { throw CocoaError(.fileReadUnknown) }
        modified = Int64(status.st_mtim.tv_sec)
        size = Int(status.st_size)
        etag = "\"\(String(status.st_ino, radix: 16))-\(String(status.st_size, radix: 16))-\(String(status.st_mtim.tv_sec, radix: 16))"
            + ".\(String(status.st_mtim.tv_nsec, radix: 16))\""
    }

    deinit {
        try? handle.close()
    }

    /// The file as a response body, streamed. The handle is read by one writer only.
    func body() -> ResponseBody {
        ResponseBody(contentLength: size) { writer in
            var sent = 0
            while sent < self.size {
                guard let chunk = try self.handle.read(upToCount: min(Self.chunkSize, self.size - sent)), !chunk.isEmpty else {
                    throw CocoaError(.fileReadUnknown)
                }
                try await writer.write(ByteBuffer(bytes: chunk))
                sent += chunk.count
            }
            try await writer.finish(nil)
        }
    }
}

/// HTTP dates (RFC 9110 §5.6.7, IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`. Formatted by
/// hand, as OCSP answers need several per request; parsed with a DateFormatter.
enum HTTPDate {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
    private static let lock = NSLock()
    /// 1970-01-01 was a Thursday.
    private static let weekdays = Array("ThuFriSatSunMonTueWed".utf8)
    private static let months = Array("JanFebMarAprMayJunJulAugSepOctNovDec".utf8)

    /// Written octet by octet into the string's own storage: an open responder formats two
    /// (Expires, Last-Modified) for every GET it answers. An IMF-fixdate's year has four
    /// digits: times outside years 0000–9999 are clamped.
    static func format(_ time: Int64) -> String {
        let seconds = min(max(time, -62_167_219_200), 253_402_300_799)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = Int(seconds - days * 86_400)
        let date = CalendarDate(daysSinceEpoch: days)
        let weekday = Int(((days % 7) + 7) % 7)
        return String(unsafeUninitializedCapacity: 29) { text in
            var at = 0
            func put(_ byte: UInt8) { text[at] = byte; at += 1 }
            func put(_ table: [UInt8], _ index: Int) { for offset in 0..<3 { put(table[3 * index + offset]) } }
            func put(_ number: Int, digits: Int) {
                var divisor = 1
                for _ in 1..<digits { divisor *= 10 }
                while divisor > 0 { put(UInt8(ascii: "0") + UInt8(number / divisor % 10)); divisor /= 10 }
            }
            put(weekdays, weekday)
            put(UInt8(ascii: ",")); put(UInt8(ascii: " "))
            put(date.day, digits: 2); put(UInt8(ascii: " "))
            put(months, date.month - 1); put(UInt8(ascii: " "))
            put(date.year, digits: 4); put(UInt8(ascii: " "))
            put(second / 3600, digits: 2); put(UInt8(ascii: ":"))
            put(second / 60 % 60, digits: 2); put(UInt8(ascii: ":"))
            put(second % 60, digits: 2)
            for byte in " GMT".utf8 { put(byte) }
            return at
        }
    }

    static func parse(_ text: String) -> Int64? {
        lock.withLock { formatter.date(from: text) }.map { Int64($0.timeIntervalSince1970) }
    }
}
