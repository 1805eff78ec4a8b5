/// A string as a JSON string literal (RFC 8259 §7), for the texts written by the million: audit
/// details, notice reports, validity and enrollment answers. Foundation's JSONEncoder costs some
/// ten microseconds per object, more than applying a change notice.
public enum JSONString {
    /// `text` in double quotes, with '"', '\\' and control characters escaped. Every byte of a
    /// multi-byte UTF-8 character is 0x80 or above and passes as it is.
    public static func quoted(_ text: String) -> String {
        var json = ""
        json.reserveCapacity(text.utf8.count + 2)
        append(quoted: text, to: &json)
        return json
    }

    /// Appends `text` to `json` as ``quoted(_:)`` writes it, with no string made for it unless it
    /// needs escaping: the fields of a report line or an answer go straight into their object.
    ///
    /// The bytes are read through one contiguous buffer, not String's generic views: a batch's
    /// audit text (megabytes, a line feed every line) was escaped at some 14 ns a byte that way,
    /// 4 % of the writer's time in change-notice ingestion (docs/BENCHMARKS.md, session 10).
    public static func append(quoted text: String, to json: inout String) {
        var text = text
        let extra = text.withUTF8(escapedExtraLength)
        json += "\""
        if extra == 0 {
            json += text
        } else {
            json += text.withUTF8 { bytes in
                String(unsafeUninitializedCapacity: bytes.count + extra) { out in escape(bytes, into: out) }
            }
        }
        json += "\""
    }

    /// `fields`, in the order given, as one JSON object, written into one string sized up front
    /// rather than a string per field joined: the audit log's details and the validity answer,
    /// each written thousands of times a second.
    public static func object(_ fields: [(key: String, value: String)]) -> String {
        object(fields, length: { $0.utf8.count + 2 }, write: { append(quoted: $0, to: &$1) })
    }

    /// `fields`, in the order given, as one JSON object whose values are already JSON text (a
    /// quoted string, an object, an array): for answers that nest objects.
    public static func object(encoded fields: [(key: String, json: String)]) -> String {
        object(fields.map { (key: $0.key, value: $0.json) }, length: { $0.utf8.count }, write: { $1 += $0 })
    }

    private static func object(_ fields: [(key: String, value: String)], length: (String) -> Int,
                               write: (String, inout String) -> Void) -> String {
        var json = "{"
        json.reserveCapacity(fields.reduce(2) { $0 + $1.key.utf8.count + 4 + length($1.value) })
        for (index, field) in fields.enumerated() {
            if index > 0 { json += "," }
            append(quoted: field.key, to: &json)
            json += ":"
            write(field.value, &json)
        }
        json += "}"
        return json
    }

    /// How many bytes escaping adds to `bytes`: one for '"', '\\', '\n', '\r' and '\t' (a
    /// backslash before a letter), five for any other control character (`\u00XX`).
    private static func escapedExtraLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var extra = 0
        for byte in bytes where byte < 0x20 || byte == quote || byte == backslash {
            extra += shortEscape(byte) == nil ? 5 : 1
        }
        return extra
    }

    /// Writes `bytes` escaped into `out`, which has room for exactly that; returns the count.
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes {
            if byte >= 0x20 && byte != quote && byte != backslash {
                out[count] = byte
                count += 1
            } else if let letter = shortEscape(byte) {
                out[count] = backslash
                out[count + 1] = letter
                count += 2
            } else {
                (out[count], out[count + 1], out[count + 2]) = (backslash, UInt8(ascii: "u"), UInt8(ascii: "0"))
                (out[count + 3], out[count + 4], out[count + 5]) = (UInt8(ascii: "0"), hexDigits[Int(byte >> 4)],
                                                                    hexDigits[Int(byte & 0xF)])
                count += 6
            }
        }
        return count
    }

    /// The character after the backslash for the escapes that have one.
    private static func shortEscape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case quote, backslash: byte
        case UInt8(ascii: "\n"): UInt8(ascii: "n")
        case UInt8(ascii: "\r"): UInt8(ascii: "r")
        case UInt8(ascii: "\t"): UInt8(ascii: "t")
        default: nil
        }
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let hexDigits = Array("0123456789abcdef".utf8)
}
