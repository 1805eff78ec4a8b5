import JPKIAuthority
import JPKIProfile
import Testing
import X509

@Suite("CRL partitions: ids round-trip")
struct CRLPartitionTests {
    let signing = CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: .signing)
    let userAuthentication = CertificateAuthorityID(prefecture: PrefectureCode("13")!, kind: .userAuthentication)

    /// Every id a partition can have reads back as that partition, up to the 256 shards the
    /// configuration allows; nothing else does.
    @Test func idsRoundTrip() throws {
        let setagaya = try MunicipalityCode(validating: "131121")
        var partitions = [CRLPartition(ca: signing, scope: .municipality(setagaya, shard: nil))]
        for shard in [0, 7, 99, 100, 255] {
            partitions.append(CRLPartition(ca: signing, scope: .municipality(setagaya, shard: shard)))
            partitions.append(CRLPartition(ca: userAuthentication, scope: .hashShard(shard)))
        }
        for partition in partitions {
            #expect(CRLPartition(ca: partition.ca, id: partition.id) == partition, "\(partition.id)")
        }
        #expect(CRLPartition(ca: userAuthentication, id: "s100")?.id == "s100")
        for bad in ["s7", "s007", "s256", "s-1", "131121-s7", "131122", "271004", "arl", "", "131121-delta"] {
            #expect(CRLPartition(ca: signing, id: bad) == nil, "\(bad)")
            #expect(CRLPartition(ca: userAuthentication, id: bad) == nil, "\(bad)")
        }
    }
}
