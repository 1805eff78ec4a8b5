import JPKIProfile
import SwiftASN1
import X509

/// The basic four items as the signing certificate carries them: six `otherName` entries in
/// subjectAltName, each value `[0] EXPLICIT UTF8String`, in the order real JPKI certificates use
/// (name, date of birth, sex, address, name map, address map).
public enum FourItemsAlternativeName {
    public static func make(_ items: BasicFourItems) throws -> SubjectAlternativeNames {
        guard let dateOfBirth = JapaneseEra.jpkiDateOfBirth(items.dateOfBirth) else {
            throw ASN1Error.invalidASN1Object(reason: "date of birth \(items.dateOfBirth) precedes the Meiji era")
        }
        let oids = JPKIObjectIdentifier.FourItems.self
        let entries: [(ASN1ObjectIdentifier, String)] = [
            (oids.name, items.name),
            (oids.dateOfBirth, dateOfBirth),
            (oids.sex, items.sex.rawValue),
            (oids.address, items.address),
            (oids.nameSubstituteMap, items.nameSubstituteMap),
            (oids.addressSubstituteMap, items.addressSubstituteMap),
        ]
        return SubjectAlternativeNames(try entries.map { oid, text in
            .otherName(.init(typeID: oid, value: try ASN1Any(erasing: ASN1UTF8String(text))))
        })
    }

    /// The JPKI otherName values found in `names`, keyed by OID, for reading certificates back.
    public static func values(in names: SubjectAlternativeNames) throws -> [ASN1ObjectIdentifier: String] {
        var found: [ASN1ObjectIdentifier: String] = [:]
        for case .otherName(let other) in names {
            guard let value = other.value else { continue }
            found[other.typeID] = String(try ASN1UTF8String(asn1Any: value))
        }
        return found
    }
}
