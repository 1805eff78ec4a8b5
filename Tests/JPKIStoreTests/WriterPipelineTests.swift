import Foundation
import JPKIProfile
import Testing
@testable import JPKIStore

/// The two ways the store keeps its single writer busy with writing only: issuances committed
/// in groups, and the reads of a batch of notices done ahead while the batch before is written.
@Suite("The writer pipeline")
struct WriterPipelineTests {
    static let issuedAt = Date(timeIntervalSince1970: 1_795_000_000)

    func database() throws -> CertificateDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
        return try CertificateDatabase(path: path)
    }

    func record(serial: String, resident: UInt8, kind: CertificateKind = .signing) -> CertificateRecord {
        CertificateRecord(ca: kind == .signing ? "13/signing" : "13/user-authentication", serial: serial, kind: kind,
                          municipality: try! MunicipalityCode(validating: "131016"),
                          partition: kind == .signing ? "131016" : "s0", residentHash: self.resident(resident),
                          notBefore: Self.issuedAt, notAfter: Self.issuedAt.addingTimeInterval(86_400 * 365),
                          issuedAt: Self.issuedAt, issuedBy: "desk", der: Data([0x30, 0x00]))
    }

    func resident(_ number: UInt8) -> Data { Data(repeating: number, count: 32) }

    func notice(_ id: String, _ kind: ChangeNoticeKind, resident number: UInt8, hoursAfterIssue hours: Double,
                line: Int) -> NoticeBatchEntry {
        .notice(NoticeApplication(noticeID: id, kind: kind, residentHash: resident(number),
                                  effectiveAt: Self.issuedAt.addingTimeInterval(hours * 3600), line: line))
    }

    func revoked(_ outcome: NoticeOutcome) -> [String] {
        guard case .applied(let revocations) = outcome else { return [] }
        return revocations.map { "\($0.serial) \($0.reason.name)" }.sorted()
    }

    /// Issuances arriving together share a transaction: the one whose serial is taken fails alone
    /// (the group is written again, each in a savepoint of its own), the others commit, and the
    /// audit chain holds each once.
    @Test func concurrentIssuancesCommitTogetherAndFailAlone() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "0a00", resident: 200)], actor: "desk", at: Date())
        // The writer is held while the issuances arrive, so that they gather into one group
        // behind the first.
        let release = DispatchSemaphore(value: 0)
        let held = Task { try await db.writer.write { _ in release.wait() } }
        Task {
            try await Task.sleep(for: .milliseconds(300))
            release.signal()
        }
        let results = await withTaskGroup(of: Result<String, StoreError>.self) { group in
            for index in 0..<24 {
                // Resident 7's serial repeats the first certificate's.
                let serial = index == 7 ? "0a00" : String(format: "0b%02x", index)
                group.addTask {
                    do {
                        _ = try await db.recordIssuance([self.record(serial: serial, resident: UInt8(index))], actor: "desk", at: Date())
                        return .success(serial)
                    } catch let error as StoreError {
                        return .failure(error)
                    } catch {
                        Issue.record(error)
                        return .failure(.unknownCertificate(ca: "", serial: ""))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        try await held.value
        let failures = results.compactMap { if case .failure(let error) = $0 { error } else { nil } }
        #expect(failures == [.duplicateSerial(ca: "13/signing", serial: "0a00")])
        #expect(try db.certificateCount() == 24)
        #expect(try db.certificate(ca: "13/signing", serial: "0a00")?.residentHash == resident(200))
        #expect(try db.verifyAuditLog() == .intact(entries: 24))
    }

    /// A lookahead read while the batch before was being written, before that batch committed,
    /// does not make the next batch miss what that batch revoked: a death after a move revokes
    /// the user-authentication certificate and leaves the signing certificate revoked by the move.
    @Test func aLookaheadReadDuringTheBatchBeforeSeesItsRevocations() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "01", resident: 1), record(serial: "02", resident: 1, kind: .userAuthentication)],
                                        actor: "desk", at: Self.issuedAt)
        let first = NoticeBatch([notice("n1", .moveOut, resident: 1, hoursAfterIssue: 1, line: 1)])
        let second = NoticeBatch([notice("n1", .death, resident: 1, hoursAfterIssue: 2, line: 1),
                                  notice("n2", .death, resident: 1, hoursAfterIssue: 2, line: 2)])
        let lookahead = LookaheadBox()
        let firstOutcomes = try await db.applyNotices(first, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400)) { mark in
            // Inside the first batch's transaction, before it commits: the writer waits while the
            // next batch's lookahead is read from the store as it was.
            let done = DispatchSemaphore(value: 0)
            Task {
                lookahead.value = try? await db.noticeLookahead(for: second, feed: "registry", during: mark, beside: first)
                done.signal()
            }
            done.wait()
        }
        #expect(firstOutcomes.map(revoked) == [["01 affiliationChanged"]])
        let ahead = try #require(lookahead.value)
        // The snapshot was taken before the move was written.
        #expect(ahead.held[resident(1)]?.allSatisfy { $0.status == .valid } == true)
        #expect(ahead.recorded.isEmpty)
        // The lookahead is taken (not set aside, which would give the same outcomes).
        let last = try #require(db.lastNoticeWrite.withLock { $0 })
        #expect(last.admits(ahead, for: second, feed: "registry", at: try await db.writer.write { try WriterMark($0) }))

        let outcomes = try await db.applyNotices(second, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400),
                                                 lookahead: ahead)
        #expect(outcomes.first == .duplicate)
        #expect(outcomes.dropFirst().map(revoked) == [["02 cessationOfOperation"]])
        let signing = try #require(try db.certificate(ca: "13/signing", serial: "01"))
        #expect(signing.revocationReason == .affiliationChanged)
    }

    /// A lookahead is not trusted once anything else was written after the transaction it was
    /// read during: a certificate issued in between is revoked by the next batch all the same.
    @Test func aLookaheadIsSetAsideAfterAnotherWrite() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "01", resident: 1)], actor: "desk", at: Self.issuedAt)
        let first = NoticeBatch([notice("n1", .moveOut, resident: 1, hoursAfterIssue: 1, line: 1)])
        let second = NoticeBatch([notice("n2", .death, resident: 2, hoursAfterIssue: 2, line: 1)])
        let mark = MarkBox()
        _ = try await db.applyNotices(first, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400)) { mark.value = $0 }
        let ahead = try await db.noticeLookahead(for: second, feed: "registry", during: try #require(mark.value), beside: first)
        #expect(ahead.held.isEmpty)
        let last = try #require(db.lastNoticeWrite.withLock { $0 })
        #expect(last.admits(ahead, for: second, feed: "registry", at: try await db.writer.write { try WriterMark($0) }))
        #expect(!last.admits(ahead, for: second, feed: "another-feed", at: try await db.writer.write { try WriterMark($0) }))
        // Read for another batch, or beside a batch other than the one last written: not taken.
        #expect(!last.admits(ahead, for: NoticeBatch(second.entries), feed: "registry",
                             at: try await db.writer.write { try WriterMark($0) }))
        let besideAnother = try await db.noticeLookahead(for: second, feed: "registry", during: try #require(mark.value),
                                                         beside: NoticeBatch(first.entries))
        #expect(!last.admits(besideAnother, for: second, feed: "registry", at: try await db.writer.write { try WriterMark($0) }))
        _ = try await db.recordIssuance([record(serial: "03", resident: 2)], actor: "desk", at: Self.issuedAt)
        #expect(!last.admits(ahead, for: second, feed: "registry", at: try await db.writer.write { try WriterMark($0) }))

        let outcomes = try await db.applyNotices(second, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400),
                                                 lookahead: ahead)
        #expect(outcomes.map(revoked) == [["03 cessationOfOperation"]])
    }

    /// A lookahead read for other residents is not taken for a batch: a resident it never looked
    /// up would otherwise seem to hold nothing, and the notice would revoke nothing.
    @Test func aLookaheadServesOnlyTheBatchItLookedUp() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "01", resident: 1), record(serial: "02", resident: 2)],
                                        actor: "desk", at: Self.issuedAt)
        let first = NoticeBatch([notice("n1", .moveOut, resident: 1, hoursAfterIssue: 1, line: 1)])
        let other = NoticeBatch([notice("n2", .death, resident: 3, hoursAfterIssue: 2, line: 1)])
        let second = NoticeBatch([notice("n2", .death, resident: 2, hoursAfterIssue: 2, line: 1)])
        let mark = MarkBox()
        _ = try await db.applyNotices(first, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400)) { mark.value = $0 }
        let ahead = try await db.noticeLookahead(for: other, feed: "registry", during: try #require(mark.value), beside: first)
        let outcomes = try await db.applyNotices(second, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400),
                                                 lookahead: ahead)
        #expect(outcomes.map(revoked) == [["02 cessationOfOperation"]])
    }

    /// A batch is one audit entry: a line per notice that was recorded (rejections included),
    /// naming what it revoked, and a count of the duplicates, which changed nothing.
    @Test func aBatchIsAuditedLineByLine() async throws {
        let db = try database()
        _ = try await db.recordIssuance([record(serial: "01", resident: 1), record(serial: "02", resident: 1, kind: .userAuthentication),
                                         record(serial: "03", resident: 2)], actor: "desk", at: Self.issuedAt)
        let batch = NoticeBatch([
            notice("n1", .death, resident: 1, hoursAfterIssue: 1, line: 1),
            .rejected(NoticeRejection(line: 2, noticeID: "n2", kind: "death", code: "badCheckDigit", field: "municipalityCode")),
            notice("n3", .moveOut, resident: 2, hoursAfterIssue: 1, line: 3),
            notice("n3", .moveOut, resident: 2, hoursAfterIssue: 1, line: 4),
            notice("n5", .moveOut, resident: 9, hoursAfterIssue: 1, line: 5),
        ])
        _ = try await db.applyNotices(batch, feed: "registry", at: Self.issuedAt.addingTimeInterval(86_400))
        let entry = try #require(try db.recentAuditEntries(limit: 1).first)
        #expect(entry.action == "notices.applied")
        let details = try #require(try JSONSerialization.jsonObject(with: Data(entry.details.utf8)) as? [String: String])
        #expect(details["notices"] == "4")
        #expect(details["duplicates"] == "1")
        let lines = try #require(details["outcomes"]).components(separatedBy: "\n")
        #expect(lines.count == 4)
        let revokedBoth = lines[0].hasSuffix("13/signing 01 cessationOfOperation, 13/user-authentication 02 cessationOfOperation")
            || lines[0].hasSuffix("13/user-authentication 02 cessationOfOperation, 13/signing 01 cessationOfOperation")
        #expect(lines[0].hasPrefix("line 1 notice n1 death 2026-11-18T12:06:40.000Z") && lines[0].contains(" applied: ") && revokedBoth)
        #expect(lines[1] == "line 2 notice n2 death rejected badCheckDigit municipalityCode")
        #expect(lines[2].hasPrefix("line 3 notice n3 move-out 2026-11-18T12:06:40.000Z") && lines[2].hasSuffix(" applied: 13/signing 03 affiliationChanged"))
        #expect(lines[3].hasPrefix("line 5 notice n5 move-out ") && lines[3].hasSuffix(" no-match"))
    }

    final class LookaheadBox: @unchecked Sendable {
        var value: NoticeLookahead?
    }

    final class MarkBox: @unchecked Sendable {
        var value: WriterMark?
    }
}
