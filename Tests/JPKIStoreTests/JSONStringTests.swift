import Foundation
import Testing
@testable import JPKIStore

@Suite("JSON string literals written directly")
struct JSONStringTests {
    /// What a JSON parser reads back from `literal`, a JSON string literal.
    func parsed(_ literal: String) throws -> String? {
        try (JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String])?.first
    }

    @Test(arguments: [
        "", "plain", "13/signing", "試験　太郎", "👩‍💻 emoji", "quote \" and backslash \\ and slash /",
        String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }),
        (1...5_000).map { "line \($0) notice n-\($0) death applied: 13/signing 0a1b cessationOfOperation" }.joined(separator: "\n"),
    ])
    func aParserReadsBackTheText(_ text: String) throws {
        #expect(try parsed(JSONString.quoted(text)) == text)
        var json = "prefix:"
        JSONString.append(quoted: text, to: &json)
        #expect(json == "prefix:" + JSONString.quoted(text))
    }

    @Test func escapesAreTheShortestJSONHas() {
        #expect(JSONString.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONString.quoted("1\n2\r3\t4") == #""1\n2\r3\t4""#)
        #expect(JSONString.quoted("\u{0}\u{1f}x") == #""\u0000\u001fx""#)
        #expect(JSONString.quoted("/ and é") == "\"/ and é\"")
        // Every kind of byte, each right after a multi-byte character.
        #expect(JSONString.quoted("é\u{1}東\"😀\\é\nx") == #""é\u0001東\"😀\\é\nx""#)
    }

    @Test func objectsKeepTheirFieldsInOrder() throws {
        let nested = JSONString.object(encoded: [
            (key: "b", json: JSONString.quoted("x\ny")),
            (key: "a", json: JSONString.object([(key: "k\"", value: "v\\")])),
            (key: "list", json: "[1,2]"),
        ])
        #expect(nested == #"{"b":"x\ny","a":{"k\"":"v\\"},"list":[1,2]}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(nested.utf8)) as? [String: Any])
        #expect(object["b"] as? String == "x\ny" && (object["a"] as? [String: String])?["k\""] == "v\\")
    }
}
