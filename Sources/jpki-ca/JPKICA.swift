import ArgumentParser

@main
struct JPKICA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpki-ca",
        abstract: "A prefecture-level JPKI certificate authority.",
        subcommands: [Serve.self, Initialise.self, Issue.self, Notices.self, Revoke.self, CRL.self, OCSP.self, Audit.self, Bench.self],
        defaultSubcommand: Serve.self)
}
