/// Sex as the JPKI sex item (OID 1.2.392.200149.8.5.5.3) records it.
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case male = "1"
    case female = "2"
    case unknown = "3"
}
