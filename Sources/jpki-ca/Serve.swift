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
        // OCSP: responders made or renewed and every response due signed before the first
        // request, then a pass every second (changes, new certificates, re-signing).
        let ocsp = try OCSPService(runtime: runtime, dataDirectory: options.dataDirectory(runtime.configuration), logger: logger)
        let first = try await ocsp.refresher.pass()
        logger.info("OCSP responses ready", metadata: ["signed": "\(first.signed)", "expired": "\(first.expired)"])
        let app = APIRoutes.application(
            runtime: runtime, crl: publisher, ocsp: ocsp,
            configuration: .init(address: .hostname(host ?? service.listen.host, port: port ?? service.listen.port),
                                 serverName: "jpki-ca"),
            logger: logger)
        let interval = Duration.seconds(service.crlSettings.deltaInterval)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await publisher.run(every: interval) }
            group.addTask { await ocsp.refresher.run(every: .seconds(1)) }
            try await app.runService()
            group.cancelAll()
        }
    }
}
