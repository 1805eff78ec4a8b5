import ArgumentParser
import Foundation
import JPKIEnrollment

struct Initialise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the keys and self-signed certificates of every configured CA that has none.",
        discussion: """
            Existing CA material is never overwritten. Keys are written as encrypted PKCS#8 under the \
            passphrase from JPKI_CA_PASSPHRASE or JPKI_CA_PASSPHRASE_FILE (in development mode, a \
            published development passphrase). Fails if there was nothing to create.
            """)

    @OptionGroup var options: ServiceOptions

    func run() throws {
        let configuration = try options.loadConfiguration()
        let passphrase = try ServiceRuntime.passphrase(for: configuration)
        let directory = options.dataDirectory(configuration)
        let created = try ServiceRuntime.initialise(configuration, dataDirectory: directory, passphrase: passphrase,
                                                    actor: "jpki-ca init")
        guard !created.isEmpty else {
            throw CommandFailure("every configured CA already exists under \(directory.path); nothing was overwritten")
        }
        for id in created {
            print("created CA \(id)\(configuration.service.mode == .development ? " (DEVELOPMENT keys)" : "")")
        }
    }
}
