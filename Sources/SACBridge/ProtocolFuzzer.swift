import SACBridgeProtocol
import SACEnvironments

/// A seeded mutational fuzzer for the envbridge codec and server: it mutates well-formed messages (the
/// conformance vectors, with a live session id) by bit flips, byte edits, insertions, deletions,
/// truncation, duplication, splicing and random garbage, feeds each to ``EnvironmentServer/handle(_:)``,
/// and checks that every input is answered with a well-formed reply. A crash ends the process, so a
/// report with `inputs` equal to what was asked means zero crashes.
package struct ProtocolFuzzer {
    /// What a fuzzing run saw.
    package struct Report: Sendable, CustomStringConvertible {
        /// Inputs fed to the server.
        package var inputs = 0
        /// Inputs answered with a decodable reply (must equal `inputs`).
        package var answered = 0
        /// Replies by kind: "step", "reset", …, or the error code's name.
        package var replies: [String: Int] = [:]

        package var description: String {
            let kinds = replies.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(inputs) inputs, \(answered) answered (\(kinds))"
        }
    }

    private var generator: SplitMix
    private let corpus: [[UInt8]]

    /// A fuzzer over `corpus` (at least one message), reproducible from `seed`.
    package init(corpus: [[UInt8]], seed: UInt64) {
        precondition(!corpus.isEmpty, "the fuzzer needs at least one seed message")
        self.corpus = corpus
        self.generator = SplitMix(state: seed)
    }

    /// One mutated input: a corpus message with one to four mutations.
    package mutating func next() -> [UInt8] {
        var bytes = corpus[generator.below(corpus.count)]
        // Half the inputs carry a single mutation, so many stay close enough to valid to reach the handlers.
        for _ in 0...(generator.below(2) == 0 ? 0 : generator.below(4)) { mutate(&bytes) }
        return bytes
    }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x08, 0x12, 0x0A]
        switch generator.below(9) {
        case 0 where !bytes.isEmpty:
            bytes[generator.below(bytes.count)] ^= UInt8(1) << UInt8(generator.below(8))
        case 1 where !bytes.isEmpty:
            bytes[generator.below(bytes.count)] = interesting[generator.below(interesting.count)]
        case 2:
            let position = generator.below(bytes.count + 1)
            bytes.insert(contentsOf: (0..<(1 + generator.below(8))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: position)
        case 3 where !bytes.isEmpty:
            let start = generator.below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + generator.below(16)))
        case 4:
            bytes = Array(bytes.prefix(generator.below(bytes.count + 1)))
        case 5 where !bytes.isEmpty:
            let start = generator.below(bytes.count)
            let chunk = bytes[start..<min(bytes.count, start + 1 + generator.below(16))]
            bytes.insert(contentsOf: chunk, at: generator.below(bytes.count + 1))
        case 6:
            let other = corpus[generator.below(corpus.count)]
            bytes = Array(bytes.prefix(generator.below(bytes.count + 1)) + other.suffix(generator.below(other.count + 1)))
        case 7:
            bytes = (0..<generator.below(65)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        default:
            // A large varint where a length or a count may be expected.
            let position = generator.below(bytes.count + 1)
            bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], at: position)
        }
    }

    /// Fuzzes a fresh server of `environment` with `inputs` inputs. Request vectors that name the
    /// placeholder session `SESSION` are given a live session's id first, so mutations reach the reset and
    /// step handlers, not only the session check.
    package static func run(environment: String, vectors: [[UInt8]], inputs: Int, seed: UInt64) throws -> Report {
        var options = EnvironmentServer.Options()
        options.sessionTimeoutSeconds = 2
        let server = try EnvironmentServer(environment: environment, options: options)
        var report = Report()
        var fuzzer = ProtocolFuzzer(corpus: [[0]], seed: seed)
        var session = ""
        var sessionClosed = true
        for index in 0..<inputs {
            if index % 500 == 0 || sessionClosed {
                // (Re)open a live session: a fuzzed close request ends the last one.
                sessionClosed = false
                // Close the previous session, so the fuzzer's own sessions never fill the server.
                _ = server.handle(MessageCodec.encode(BridgeRequest(requestID: controlID(index), sessionID: session, kind: .close)))
                session = openSession(server)
                let corpus = vectors.map { bytes -> [UInt8] in
                    guard var request = try? MessageCodec.decodeRequest(bytes), request.sessionID == "SESSION" else { return bytes }
                    request.sessionID = session
                    return MessageCodec.encode(request)
                }
                let state = fuzzer.generator
                fuzzer = ProtocolFuzzer(corpus: corpus, seed: 0)
                fuzzer.generator = state
            }
            let reply = server.handle(fuzzer.next())
            report.inputs += 1
            guard let decoded = try? MessageCodec.decodeReply(reply) else { continue }
            report.answered += 1
            let kind: String
            switch decoded.kind {
            case let .handshake(opened):
                kind = "handshake"
                // Sessions opened by fuzzed handshakes would fill the server: close them at once.
                _ = server.handle(
                    MessageCodec.encode(BridgeRequest(requestID: controlID(index), sessionID: opened.sessionID, kind: .close)))
            case .reset: kind = "reset"
            case .step: kind = "step"
            case .close: kind = "close"; sessionClosed = true
            case let .error(error): kind = error.code.name
            }
            report.replies[kind, default: 0] += 1
        }
        return report
    }

    /// Request ids of the fuzzer's own requests: never those of a vector, which the server's retry
    /// memory would answer from its cache instead of executing.
    private static func controlID(_ index: Int) -> UInt64 { UInt64.max - UInt64(index) }

    private static func openSession(_ server: EnvironmentServer) -> String {
        let hello = server.handle(MessageCodec.encode(BridgeRequest(requestID: UInt64.max, sessionID: "", kind: .handshake(.init()))))
        guard case let .handshake(opened)? = try? MessageCodec.decodeReply(hello).kind else { return "" }
        _ = server.handle(MessageCodec.encode(BridgeRequest(requestID: UInt64.max, sessionID: opened.sessionID, kind: .reset(.init()))))
        return opened.sessionID
    }
}

/// SplitMix64: a tiny, fast, seedable generator for mutation choices.
struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0); the modulo bias is irrelevant for fuzzing.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
