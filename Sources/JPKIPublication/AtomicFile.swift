import Foundation

/// A file that is replaced whole or not at all: bytes go to a temporary file in the same
/// directory, which is synced and then renamed over the destination (rename(2) is atomic within
/// a file system), and the directory is synced. A reader sees the old file or the new one, never
/// a mix; a crash leaves the old file and a dot-named temporary that nothing serves and
/// ``sweepTemporaries(in:)`` removes.
final class AtomicFile {
    let destination: URL
    private let temporary: URL
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    /// Bytes written so far.
    private(set) var size = 0

    static let bufferSize = 1 << 20
    static let temporarySuffix = ".tmp"

    init(destination: URL) throws {
        self.destination = destination
        let directory = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString)\(Self.temporarySuffix)")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PublicationError.io(path: temporary.path, errno: errno) }
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        close(descriptor)
        if !committed { unlink(temporary.path) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        size += bytes.count
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try writeAll(descriptor, bytes, path: temporary.path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Syncs the file, renames it over the destination and syncs the directory.
    func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw PublicationError.io(path: temporary.path, errno: errno) }
        guard rename(temporary.path, destination.path) == 0 else { throw PublicationError.io(path: destination.path, errno: errno) }
        committed = true
        let directory = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw PublicationError.io(path: destination.path, errno: errno) }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw PublicationError.io(path: destination.path, errno: errno) }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeAll(descriptor, $0, path: temporary.path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Removes temporaries a crash left under `directory`, at any depth.
    static func sweepTemporaries(in directory: URL) {
        guard let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return }
        for case let file as URL in files where file.lastPathComponent.hasPrefix(".") && file.lastPathComponent.hasSuffix(temporarySuffix) {
            unlink(file.path)
        }
    }
}

/// Writes all of `bytes` to `descriptor`, however many write(2) calls that takes.
func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { throw PublicationError.io(path: path, errno: errno) }
        offset += n
    }
}
