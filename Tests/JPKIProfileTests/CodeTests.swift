import Testing
@testable import JPKIProfile

@Suite("Local government, prefecture and resident codes")
struct CodeTests {
    @Test("real municipality codes validate", arguments: ["131016", "131130", "271004", "011002", "131121", "272051"])
    func realCodes(code: String) throws {
        #expect(try MunicipalityCode(validating: code).value == code)
    }

    @Test("a wrong check digit is refused", arguments: ["131017", "131131", "271005", "011003"])
    func badCheckDigit(code: String) {
        #expect(throws: MunicipalityCode.ParseError.badCheckDigit) { try MunicipalityCode(validating: code) }
    }

    @Test("malformed municipality codes", arguments: ["13101", "1310166", "13101a", "", "１３１０１６", "000001", "481009"])
    func malformed(code: String) {
        #expect(throws: MunicipalityCode.ParseError.malformed) { try MunicipalityCode(validating: code) }
    }

    @Test func checkDigitRule() {
        // 1·6 + 3·5 + 1·4 + 0·3 + 1·2 = 27; 27 mod 11 = 5; 11 − 5 = 6.
        #expect(MunicipalityCode.checkDigit([1, 3, 1, 0, 1]) == 6)
        #expect(try! MunicipalityCode(validating: "131016").prefecture == PrefectureCode("13"))
    }

    @Test func prefectureCodes() {
        #expect(PrefectureCode("01") != nil)
        #expect(PrefectureCode("47") != nil)
        #expect(PrefectureCode("00") == nil)
        #expect(PrefectureCode("48") == nil)
        #expect(PrefectureCode("1") == nil)
    }

    @Test func residentCodeIsElevenDigitsAndNeverPrinted() throws {
        #expect(ResidentCode("1234567890") == nil)
        #expect(ResidentCode("123456789012") == nil)
        #expect(ResidentCode("12345678a01") == nil)
        let code = try #require(ResidentCode("12345678901"))
        #expect(!"\(code)".contains("12345678901"))
        #expect(!String(reflecting: code).contains("12345678901"))
        var dumped = ""
        dump(code, to: &dumped)
        #expect(!dumped.contains("12345678901"))
        #expect(code.withDigits { $0 } == "12345678901")
    }
}

@Suite("The basic four items")
struct BasicFourItemsTests {
    let today = CalendarDate(iso8601: "2026-11-22")!

    func items(name: String = "山田　太郎", nameMap: String = "00000", born: String = "1980-04-01",
               address: String = "東京都千代田区", addressMap: String = "0000000") -> BasicFourItems {
        BasicFourItems(name: name, nameSubstituteMap: nameMap, dateOfBirth: CalendarDate(iso8601: born)!, sex: .male,
                       address: address, addressSubstituteMap: addressMap)
    }

    @Test func validItemsPass() {
        #expect(items().firstViolation(today: today) == nil)
        #expect(items(nameMap: "01001").firstViolation(today: today) == nil)
    }

    @Test func violationsNameTheField() {
        #expect(items(name: "", nameMap: "").firstViolation(today: today) == .init(field: "name", rule: .empty))
        #expect(items(nameMap: "0000").firstViolation(today: today) == .init(field: "nameSubstituteMap", rule: .substituteMapLength))
        #expect(items(nameMap: "00200").firstViolation(today: today) == .init(field: "nameSubstituteMap", rule: .substituteMapCharacters))
        #expect(items(born: "2027-01-01").firstViolation(today: today) == .init(field: "dateOfBirth", rule: .inTheFuture))
        #expect(items(born: "1860-01-01").firstViolation(today: today) == .init(field: "dateOfBirth", rule: .beforeMeiji))
        let long = String(repeating: "あ", count: 201)
        #expect(items(address: long, addressMap: String(repeating: "0", count: 201)).firstViolation(today: today)
                == .init(field: "address", rule: .tooLong))
        let limit = String(repeating: "あ", count: 200)
        #expect(items(address: limit, addressMap: String(repeating: "0", count: 200)).firstViolation(today: today) == nil)
        #expect(items(address: "東京\n都", addressMap: "0000").firstViolation(today: today) == .init(field: "address", rule: .controlCharacters))
        #expect(items(addressMap: "000000").firstViolation(today: today) == .init(field: "addressSubstituteMap", rule: .substituteMapLength))
    }
}

@Suite("Hexadecimal")
struct HexadecimalTests {
    @Test func lowercaseTwoDigitsPerByte() {
        #expect([0x00, 0x0f, 0xa0, 0xff].lowercaseHex == "000fa0ff")
        #expect([UInt8]().lowercaseHex == "")
    }

    @Test func onlyASCIIDigitsAndLettersAToFAreHexadecimal() {
        #expect("0123456789abcdefABCDEF".isASCIIHexadecimal)
        #expect("".isASCIIHexadecimal)
        for text in ["０", "ａ", "Ａ", "g", "0x1f", " 1"] { #expect(!text.isASCIIHexadecimal, "\(text)") }
    }
}
