import ArgumentParser
import Hummingbird
import JPKIConfiguration
import JPKIEnrollment
import JPKIPublication
import JPKIServer
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the CA service (the default). In development mode, missing CAs are created on first start.")

    @OptionGroup var options: ServiceOptions

    @Option(help: "Overrides the listen host of service.yaml.")
    var host: String?

    @Option(help: "Overrides the listen port of service.yaml.")
    var port: Int?

    func run() async throws {
        var logger = Logger(label: "jpki-ca")
        logger.logLevel = .info
        let runtime = try options.openRuntime(logger: logger)
        let service = runtime.configuration.service
        if service.mode == .development {
            logger.warning("DEVELOPMENT MODE: CA keys use a published passphrase; certificates from this service prove nothing")
        }
        // CRLs: what is due now (every CRL, on first start), then deltas for changed partitions
        // every crl.deltaIntervalSeconds and full renewals before nextUpdate, until shutdown.
        let publisher = CRLPublisher(runtime: runtime, root: options.crlRoot(runtime.configuration), logger: logger)
        let app = Application(
            router: APIRoutes.router(runtime: runtime, crl: publisher),
            configuration: .init(address: .hostname(host ?? service.listen.host, port: port ?? service.listen.port),
                                 serverName: "jpki-ca"),
            logger: logger)
        let interval = Duration.seconds(service.crlSettings.deltaInterval)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await publisher.run(every: interval) }
            try await app.runService()
            group.cancelAll()
        }
    }
}
