import ArgumentParser
import Foundation
import JPKIConfiguration
import JPKIEnrollment
import Logging

/// Options every command that opens the service shares.
struct ServiceOptions: ParsableArguments {
    @Option(help: "The configuration directory (service.yaml and prefectures/).")
    var config: String = "ca-config"

    @Option(help: "Overrides the data directory of service.yaml (database and keys).")
    var data: String?

    @Option(name: .customLong("crl-directory"), help: "Overrides the CRL directory of service.yaml (crl.directory).")
    var crlDirectory: String?

    func loadConfiguration() throws -> Configuration {
        var configuration = try Configuration.load(from: URL(fileURLWithPath: config))
        if let data { configuration.service.dataDirectory = data }
        if let crlDirectory {
            var settings = configuration.service.crlSettings
            settings.directory = crlDirectory
            configuration.service.crl = settings
        }
        return configuration
    }

    /// Where CRLs are published: crl.directory, relative to the working directory unless absolute.
    func crlRoot(_ configuration: Configuration) -> URL {
        let path = configuration.service.crlSettings.directoryPath
        return path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
    }

    func dataDirectory(_ configuration: Configuration) -> URL {
        ServiceRuntime.dataDirectory(of: configuration, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    func openRuntime(logger: Logger) throws -> ServiceRuntime {
        let configuration = try loadConfiguration()
        return try ServiceRuntime.open(configuration: configuration, dataDirectory: dataDirectory(configuration), logger: logger)
    }
}

/// Errors reported to the terminal as one line, with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
