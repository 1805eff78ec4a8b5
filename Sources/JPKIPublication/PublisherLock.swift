import Foundation

/// One publisher at a time per CRL directory, across processes (`serve` and `jpki-ca crl
/// publish`): an advisory lock (flock(2)) on `<root>/.publisher.lock`, held for a pass. Two
/// publishers at once would each rename files in place and record them, and the order of the
/// renames need not match the order of the records, so a delta could name a base CRL other than
/// the one served. The kernel drops the lock when its holder dies, so a crash leaves none behind.
/// The OCSP signer takes one too (`<data>/.ocsp-signer.lock`): see ``OCSPRefresher``.
final class PublisherLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, or returns `nil` at once if another process holds it.
    init?(root: URL, name: String = ".publisher.lock") throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent(name).path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PublicationError.io(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            guard error == EWOULDBLOCK else { throw PublicationError.io(path: path, errno: error) }
            return nil
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
