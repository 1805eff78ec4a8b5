// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "jpki-ca",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jpki-ca", targets: ["jpki-ca"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Pure domain values and rules of JPKI: no I/O.
        .target(
            name: "JPKIProfile",
            swiftSettings: swiftSettings
        ),
        // The system's OpenSSL libcrypto: the CA's signing engine (see OpenSSLSigningKey.swift).
        .systemLibrary(
            name: "COpenSSLCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // CA identities, keys, certificate building and signing.
        .target(
            name: "JPKIAuthority",
            dependencies: [
                "JPKIProfile", "COpenSSLCrypto",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Persistence: the only module that writes SQL.
        .target(
            name: "JPKIStore",
            dependencies: [
                "JPKIProfile",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Service configuration from ca-config/: prefectures, CAs, operators.
        .target(
            name: "JPKIConfiguration",
            dependencies: [
                "JPKIProfile",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The registration authority: validates applications and drives issuance.
        .target(
            name: "JPKIEnrollment",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Revocation: change notices from the resident registry, holders' requests, bulk revocation.
        .target(
            name: "JPKIRevocation",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIEnrollment",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Publication: partitioned CRLs, their deltas and the ARLs, written to crl/.
        .target(
            name: "JPKIPublication",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIEnrollment",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP API.
        .target(
            name: "JPKIServer",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIEnrollment", "JPKIRevocation",
                "JPKIPublication",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "jpki-ca",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIEnrollment", "JPKIRevocation", "JPKIServer",
                "JPKIPublication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fixtures shared by the test targets: a throw-away service, CSRs, subprocesses, captured logs.
        .target(
            name: "JPKITestSupport",
            dependencies: [
                "JPKIProfile", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIEnrollment", "JPKIRevocation",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/JPKITestSupport"
        ),
        .testTarget(name: "JPKIProfileTests", dependencies: ["JPKIProfile"]),
        .testTarget(
            name: "JPKIAuthorityTests",
            dependencies: [
                "JPKIAuthority", "JPKIProfile", "JPKITestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "JPKIStoreTests", dependencies: ["JPKIStore", "JPKIProfile", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "JPKIEnrollmentTests",
            dependencies: ["JPKIEnrollment", "JPKIAuthority", "JPKIStore", "JPKIConfiguration", "JPKIProfile", "JPKITestSupport",
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "_CryptoExtras", package: "swift-crypto")]
        ),
        .testTarget(
            name: "JPKIRevocationTests",
            dependencies: ["JPKIRevocation", "JPKIEnrollment", "JPKIStore", "JPKIConfiguration", "JPKIProfile", "JPKITestSupport"]
        ),
        // Clients nobody here wrote: OpenSSL and Python cryptography against what we issue.
        .testTarget(
            name: "InteropTests",
            dependencies: ["JPKIEnrollment", "JPKIAuthority", "JPKIStore", "JPKIProfile", "JPKITestSupport", "JPKIPublication",
                           "JPKIServer", .product(name: "X509", package: "swift-certificates"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(
            name: "JPKIPublicationTests",
            dependencies: ["JPKIPublication", "JPKIEnrollment", "JPKIConfiguration", "JPKIStore", "JPKIAuthority", "JPKIProfile",
                           "JPKITestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "SwiftASN1", package: "swift-asn1")]
        ),
        .testTarget(
            name: "JPKIServerTests",
            dependencies: ["JPKIServer", "JPKIEnrollment", "JPKIConfiguration", "JPKIStore", "JPKIAuthority", "JPKIProfile", "JPKITestSupport",
                           "JPKIRevocation", "JPKIPublication",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "_CryptoExtras", package: "swift-crypto")]
        ),
    ]
)
