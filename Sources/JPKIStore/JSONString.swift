/// A string as a JSON string literal (RFC 8259 §7), for the texts written by the million: audit
/// details, notice reports and validity answers. Foundation's JSONEncoder costs some ten
/// microseconds per object, more than applying a change notice.
public enum JSONString {
    /// `text` in double quotes, with '"', '\\' and control characters escaped. Every byte of a
    /// multi-byte UTF-8 character is 0x80 or above and passes as it is.
    public static func quoted(_ text: String) -> String {
        // Most texts (ids, serials, names of kinds) need no escape: one copy, no byte loop.
        if !needsEscape(text) {
            return "\"" + text + "\""
        }
        // Written straight into the string's storage, sized exactly: a batch's audit text runs
        // to megabytes.
        let utf8 = text.utf8
        let length = utf8.reduce(2) { length, byte in
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): length + 2
            case 0..<0x20: length + 6
            default: length + 1
            }
        }
        return String(unsafeUninitializedCapacity: length) { out in
            var count = 0
            func put(_ byte: UInt8) {
                out[count] = byte
                count += 1
            }
            put(UInt8(ascii: "\""))
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(UInt8(ascii: "\\")); put(byte)
                case UInt8(ascii: "\n"): put(UInt8(ascii: "\\")); put(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): put(UInt8(ascii: "\\")); put(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): put(UInt8(ascii: "\\")); put(UInt8(ascii: "t"))
                case 0..<0x20:
                    put(UInt8(ascii: "\\")); put(UInt8(ascii: "u")); put(UInt8(ascii: "0")); put(UInt8(ascii: "0"))
                    put(hexDigits[Int(byte >> 4)]); put(hexDigits[Int(byte & 0xF)])
                default: put(byte)
                }
            }
            put(UInt8(ascii: "\""))
            return count
        }
    }

    /// `fields`, in the order given, as one JSON object, written into one string sized up front
    /// rather than a string per field joined: the audit log's details and the validity answer,
    /// each written thousands of times a second.
    public static func object(_ fields: [(key: String, value: String)]) -> String {
        var json = "{"
        json.reserveCapacity(fields.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        for (index, field) in fields.enumerated() {
            if index > 0 { json += "," }
            append(field.key, to: &json)
            json += ":"
            append(field.value, to: &json)
        }
        json += "}"
        return json
    }

    /// Appends `text` in double quotes to `json`, escaped as ``quoted(_:)`` escapes it, with no
    /// string made for it when it needs no escape (most do not).
    private static func append(_ text: String, to json: inout String) {
        guard !needsEscape(text) else {
            json += quoted(text)
            return
        }
        json += "\""
        json += text
        json += "\""
    }

    private static func needsEscape(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
