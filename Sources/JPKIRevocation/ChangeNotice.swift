import Foundation
import JPKIAuthority
import JPKIConfiguration
import JPKIEnrollment
import JPKIProfile
import JPKIStore

/// A change notice (異動等情報) from the resident registry, exactly as sent: one JSON object per
/// line of a JSON Lines file, or per line of a batch posted to `/v1/notices`. Every field is
/// optional and textual so that each problem is reported against its field. `docs/notices.md`
/// describes the format.
///
/// ```json
/// {"noticeId": "131016-20261120-000123", "kind": "move-out", "residentCode": "12345678901",
///  "municipalityCode": "131016", "effectiveAt": "2026-11-20T09:30:00+09:00",
///  "fourItems": {"name": "…", "nameSubstituteMap": "…", "dateOfBirth": "1980-04-01", "sex": "1",
///                "address": "…", "addressSubstituteMap": "…"}}
/// ```
public struct ChangeNotice: Sendable, Codable {
    public var noticeId: String?
    public var kind: String?
    public var residentCode: String?
    public var municipalityCode: String?
    public var effectiveAt: String?
    /// The resident's four items after the change, for the kinds that change them (optional).
    public var fourItems: EnrollmentApplication.FourItemsFields?

    public init(noticeId: String?, kind: String?, residentCode: String?, municipalityCode: String?,
                effectiveAt: String?, fourItems: EnrollmentApplication.FourItemsFields? = nil) {
        self.noticeId = noticeId
        self.kind = kind
        self.residentCode = residentCode
        self.municipalityCode = municipalityCode
        self.effectiveAt = effectiveAt
        self.fourItems = fourItems
    }

    /// The longest notice id accepted: registry systems use ids such as
    /// `<municipality>-<date>-<sequence>`; the cap keeps the table's key small.
    public static let maximumIDLength = 64

    /// ASCII letters, digits and `-_.:/`.
    static func isIDCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}

/// Checks a notice field by field, in the order of the fields, and reduces it to what the store
/// applies. The resident code is hashed here and goes no further.
public struct ChangeNoticeValidator: Sendable {
    let hasher: ResidentCodeHasher
    let futureTolerance: TimeInterval

    public init(hasher: ResidentCodeHasher, futureTolerance: TimeInterval) {
        self.hasher = hasher
        self.futureTolerance = futureTolerance
    }

    /// Parses one line of JSON and validates it as sent by `feed` at `now`.
    public func validate(line bytes: some Collection<UInt8>, number line: Int, feed: Operator,
                         now: Date) -> Result<NoticeApplication, NoticeLineRejection> {
        let notice: ChangeNotice
        if let flat = ChangeNoticeLine.flatNotice(bytes) {
            notice = flat
        } else {
            do {
                notice = try JSONDecoder().decode(ChangeNotice.self, from: Data(bytes))
            } catch let DecodingError.typeMismatch(_, context) {
                let field = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
                return .failure(NoticeLineRejection(notice: nil, error: RevocationError(
                    .malformedJSON, field: field.isEmpty ? nil : field, "wrong JSON type: \(context.debugDescription)")))
            } catch {
                return .failure(NoticeLineRejection(notice: nil, error: RevocationError(
                    .malformedJSON, field: nil, "the line is not a JSON change notice")))
            }
        }
        do {
            return .success(try validate(notice, line: line, feed: feed, now: now))
        } catch {
            return .failure(NoticeLineRejection(notice: notice, error: error))
        }
    }

    public func validate(_ notice: ChangeNotice, line: Int, feed: Operator,
                         now: Date) throws(RevocationError) -> NoticeApplication {
        guard let noticeID = notice.noticeId else {
            throw RevocationError(.missingField, field: "noticeId", "every notice needs its id, unique within the feed")
        }
        guard !noticeID.isEmpty, noticeID.utf8.count <= ChangeNotice.maximumIDLength,
              noticeID.utf8.allSatisfy(ChangeNotice.isIDCharacter) else {
            throw RevocationError(.invalidNoticeID, field: "noticeId",
                                  "a notice id is 1–\(ChangeNotice.maximumIDLength) ASCII letters, digits and - _ . : /")
        }
        guard let kindText = notice.kind else {
            throw RevocationError(.missingField, field: "kind", "the kind of change is required")
        }
        guard let kind = ChangeNoticeKind(rawValue: kindText) else {
            // The value is not repeated back: a feed with shifted columns could have put anything there.
            throw RevocationError(.unknownNoticeKind, field: "kind",
                                  "the kind is not one of \(ChangeNoticeKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let residentText = notice.residentCode else {
            throw RevocationError(.missingField, field: "residentCode", "the resident code is required")
        }
        guard let residentCode = ResidentCode(residentText) else {
            throw RevocationError(.invalidResidentCode, field: "residentCode", "the resident code must be 11 digits")
        }
        // The id is stored, audited and reported: it must not carry the resident code, which a
        // registry system with shifted columns could put there.
        guard !Self.contains(noticeID, residentText) else {
            throw RevocationError(.invalidNoticeID, field: "noticeId", "the notice id must not contain the resident code")
        }
        guard let municipalityText = notice.municipalityCode else {
            throw RevocationError(.missingField, field: "municipalityCode", "the municipality code is required")
        }
        let municipality: MunicipalityCode
        do {
            municipality = try MunicipalityCode(validating: municipalityText)
        } catch .malformed {
            throw RevocationError(.invalidMunicipalityCode, field: "municipalityCode", "a municipality code is six digits, the first two a prefecture code 01–47")
        } catch {
            throw RevocationError(.badCheckDigit, field: "municipalityCode", "the check digit of \(municipalityText) is wrong")
        }
        if let bound = feed.municipality, bound != municipality {
            throw RevocationError(.forbiddenMunicipality, field: "municipalityCode",
                                  "feed \(feed.id) delivers notices of municipality \(bound) only")
        }
        guard let effectiveText = notice.effectiveAt else {
            throw RevocationError(.missingField, field: "effectiveAt", "the effective time is required")
        }
        guard let effectiveAt = Timestamp.parse(effectiveText) else {
            throw RevocationError(.invalidTimestamp, field: "effectiveAt",
                                  "not an RFC 3339 date-time with offset, e.g. 2026-11-20T09:30:00+09:00")
        }
        guard effectiveAt.timeIntervalSince(now) <= futureTolerance else {
            throw RevocationError(.effectiveTimeInFuture, field: "effectiveAt",
                                  "the change takes effect more than \(Int(futureTolerance)) s from now; send it once it has")
        }
        var fourItems: BasicFourItems?
        if let fields = notice.fourItems {
            guard kind.mayCarryFourItems else {
                throw RevocationError(.unexpectedFourItems, field: "fourItems", "a \(kind) notice carries no four items")
            }
            do {
                fourItems = try ApplicationValidator.fourItems(fields, today: JapanStandardTime.date(of: now))
            } catch {
                throw RevocationError(fourItems: error)
            }
        }
        return NoticeApplication(noticeID: noticeID, kind: kind, residentHash: hasher.hash(residentCode),
                                 effectiveAt: effectiveAt, line: line, fourItems: fourItems)
    }
}

extension ChangeNoticeValidator {
    /// Whether `text` contains `part`, compared as UTF-8 bytes (Foundation's search costs more
    /// than the rest of a notice's checks).
    static func contains(_ text: String, _ part: String) -> Bool {
        let text = Array(text.utf8), part = Array(part.utf8)
        guard !part.isEmpty else { return true }
        guard text.count >= part.count else { return false }
        return (0...(text.count - part.count)).contains { start in text[start..<start + part.count].elementsEqual(part) }
    }
}

/// A line that failed: the error, and the notice's id and kind if they could be read, for the
/// report. Nothing else of the line is kept: it may hold a resident code.
public struct NoticeLineRejection: Error, Sendable {
    public let noticeID: String?
    public let kind: String?
    public let error: RevocationError

    init(notice: ChangeNotice?, error: RevocationError) {
        // An id that is malformed, or carries the line's resident code (8 digits or more of it,
        // valid or not), is not repeated back.
        noticeID = notice?.noticeId.flatMap { id in
            let carriesCode = notice?.residentCode.map { $0.count >= 8 && id.contains($0) } ?? false
            return error.code == .invalidNoticeID || carriesCode ? nil : id
        }
        kind = notice?.kind.flatMap { ChangeNoticeKind(rawValue: $0)?.rawValue }
        self.error = error
    }
}
