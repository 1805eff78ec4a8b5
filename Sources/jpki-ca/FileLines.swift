import Foundation

/// The lines of a file, read in chunks of 1 MiB, so that a file of any size is read in
/// constant memory. Lines end with LF; a final line without one is still a line.
struct FileLines: Sequence {
    let handle: FileHandle

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandFailure("cannot open \(path)") }
        self.handle = handle
    }

    func makeIterator() -> Iterator { Iterator(handle: handle) }

    struct Iterator: IteratorProtocol {
        let handle: FileHandle
        var buffer: [UInt8] = []
        var start = 0
        var atEnd = false

        mutating func next() -> ArraySlice<UInt8>? {
            while true {
                if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    defer { start = newline + 1 }
                    return buffer[start..<newline]
                }
                if atEnd {
                    guard start < buffer.count else { return nil }
                    defer { start = buffer.count }
                    return buffer[start...]
                }
                buffer.removeFirst(start)
                start = 0
                let chunk = handle.readData(ofLength: 1 << 20)
                if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
            }
        }
    }
}

/// Output written through a 64 KiB buffer: one system call per buffer, not per line.
final class BufferedOutput {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(creating path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else { throw CommandFailure("cannot create \(path)") }
        self.handle = handle
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// A text and a line feed, copied from the string's contiguous UTF-8 in one go.
    func writeLine(_ text: String) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.synchronize()
        try handle.close()
    }
}
