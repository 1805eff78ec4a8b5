/// Reads the line of a notice as registry feeds write it, without `JSONDecoder`: one flat JSON
/// object whose members are the notice's five text fields, each once, as strings without
/// escapes. That is every line of a day's feed but the rare one carrying four items, and
/// `JSONDecoder` cost as much per line as applying the notice (docs/BENCHMARKS.md, change notices).
///
/// Anything else — an escape, a nested object, a number, `null`, a member it does not know, a
/// repeated member, bytes that are not UTF-8 — is not decided here: the line goes to
/// `JSONDecoder`, which accepts or rejects it with the field at fault (RFC 8259 in full).
struct ChangeNoticeLine {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// The notice, or nil when the line is not of the flat shape.
    static func flatNotice(_ line: some Collection<UInt8>) -> ChangeNotice? {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> ChangeNotice? {
            var line = ChangeNoticeLine(bytes: bytes)
            return line.notice()
        }
        if let notice = line.withContiguousStorageIfAvailable(scan) {
            return notice
        }
        return Array(line).withUnsafeBufferPointer(scan)
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private enum Member: CaseIterable {
        case noticeId, kind, residentCode, municipalityCode, effectiveAt

        var name: [UInt8] {
            switch self {
            case .noticeId: Array("noticeId".utf8)
            case .kind: Array("kind".utf8)
            case .residentCode: Array("residentCode".utf8)
            case .municipalityCode: Array("municipalityCode".utf8)
            case .effectiveAt: Array("effectiveAt".utf8)
            }
        }

        static let names = allCases.map { ($0, $0.name) }
    }

    private mutating func notice() -> ChangeNotice? {
        var notice = ChangeNotice(noticeId: nil, kind: nil, residentCode: nil, municipalityCode: nil, effectiveAt: nil)
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            repeat {
                skipSpace()
                guard let name = stringRange(), let member = member(named: name) else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let valueRange = stringRange(),
                      let value = String(validating: UnsafeBufferPointer(rebasing: bytes[valueRange]), as: UTF8.self)
                else { return nil }
                switch member {
                case .noticeId where notice.noticeId == nil: notice.noticeId = value
                case .kind where notice.kind == nil: notice.kind = value
                case .residentCode where notice.residentCode == nil: notice.residentCode = value
                case .municipalityCode where notice.municipalityCode == nil: notice.municipalityCode = value
                case .effectiveAt where notice.effectiveAt == nil: notice.effectiveAt = value
                default: return nil  // repeated
                }
                skipSpace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        skipSpace()
        return index == bytes.count ? notice : nil
    }

    private func member(named range: Range<Int>) -> Member? {
        let name = bytes[range]
        return Member.names.first { $0.1.elementsEqual(name) }?.0
    }

    /// The bytes between the quotes of a string without escapes or control characters.
    private mutating func stringRange() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return start..<index
            case UInt8(ascii: "\\"), 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// JSON's insignificant whitespace (RFC 8259 §2).
    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
