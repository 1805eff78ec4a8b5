import Foundation

/// The DER of a CRL's entries, spooled to an unlinked temporary file while they stream from the
/// store: the TBSCertList's length, which its header carries, is known only once the last entry
/// is encoded, so the entries are read back twice, to hash and to write. Memory stays at one
/// buffer whatever the number of entries; the file vanishes with its descriptor, crash or not.
final class EntrySpool {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let path: String
    /// Bytes spooled.
    private(set) var length = 0
    /// Entries spooled.
    private(set) var count = 0

    static let bufferSize = 1 << 20

    init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(".entries.\(UUID().uuidString)\(AtomicFile.temporarySuffix)").path
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PublicationError.io(path: path, errno: errno) }
        unlink(path)
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        close(descriptor)
    }

    /// Appends the DER of `entries` entries.
    func append(_ bytes: [UInt8], entries: Int) throws {
        length += bytes.count
        count += entries
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Calls `body` with the spooled bytes, in order, a block at a time.
    func forEachBlock(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        var block = [UInt8](repeating: 0, count: Self.bufferSize)
        var offset = 0
        while offset < length {
            let n = block.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw PublicationError.io(path: path, errno: n < 0 ? errno : EIO) }
            try block.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            offset += n
        }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeAll(descriptor, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }
}
