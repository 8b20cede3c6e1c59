import ArgumentParser
import Foundation
import SACZeroMQ

/// Reading and writing CURVE key files: text files whose first line that is not a `#` comment is a
/// Z85 key (40 characters). `NAME.key` holds a secret key (mode 0600), `NAME.pub` its public key; an
/// allow-list file holds one public key per line. The Python server reads the same files.
enum CurveKeyFiles {
    /// The keys in `path`, one per non-comment line.
    static func keys(in path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the key file \(path)")
        }
        let keys = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for key in keys where !CurveKeyPair.isValidKey(key) {
            throw ValidationError("\(path) holds '\(key)', which is not a 40-character Z85 CURVE key")
        }
        return keys
    }

    /// A single key: `value` itself when it is a Z85 key, else the first key in the file `value`.
    static func key(_ value: String) throws -> String {
        if CurveKeyPair.isValidKey(value) { return value }
        guard let key = try keys(in: value).first else { throw ValidationError("\(value) holds no key") }
        return key
    }

    static func write(_ pair: CurveKeyPair, name: String) throws {
        let secret = "# SwiftSAC CURVE secret key: keep it private\n\(pair.secretKey)\n"
        let public_ =
            "# SwiftSAC CURVE public key: give it to peers (servers: to clients; clients: to the server's allow-list)\n\(pair.publicKey)\n"
        guard FileManager.default.createFile(atPath: name + ".key", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(atPath: name + ".pub", contents: Data(public_.utf8))
        else {
            throw ValidationError("cannot write \(name).key and \(name).pub")
        }
    }
}

/// `sac keygen`: makes a CURVE key pair for a server or a client.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public).")

    @Argument(help: "Path prefix of the key files, e.g. keys/server.")
    var name: String

    func run() throws {
        let pair = try CurveKeyPair.generate()
        try CurveKeyFiles.write(pair, name: name)
        print("wrote \(name).key (secret) and \(name).pub (public key \(pair.publicKey))")
    }
}
