import Foundation
import Testing
import SACTestSupport
import SACBridge
import SACZeroMQ

/// CURVE with an allow-list, in the Swift and the Python server: a listed client is served; an unlisted
/// client, and a client that does not speak CURVE, get no session (their requests time out).
@Suite(.serialized) struct CurveSecurityTests {
    private func options(server: CurveKeyPair, client: CurveKeyPair?) -> RemoteEnvironmentClient.Options {
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 500
        options.retries = 0
        options.curveServerKey = client == nil ? nil : server.publicKey
        options.curveKeyPair = client
        return options
    }

    private func expectRefused(_ address: String, _ options: RemoteEnvironmentClient.Options, _ who: String) {
        do {
            _ = try RemoteEnvironment(address: address, options: options)
            Issue.record("\(who) was served")
        } catch {
            guard case RemoteEnvironmentError.timedOut = error else { Issue.record("\(who): \(error)"); return }
        }
    }

    @Test func swiftServerAdmitsOnlyListedClients() throws {
        let serverKeys = try CurveKeyPair.generate(), listed = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        var serverOptions = EnvironmentServer.Options()
        serverOptions.curveSecretKey = serverKeys.secretKey
        serverOptions.allowedClientKeys = [listed.publicKey]
        let server = try BackgroundEnvironmentServer(endpoint: Endpoints.tcp, options: serverOptions)
        let environment = try RemoteEnvironment(address: server.endpoint, options: options(server: serverKeys, client: listed))
        _ = try environment.reset(seed: 1)
        #expect(try environment.step([1]).observation.count == 3)
        expectRefused(server.endpoint, options(server: serverKeys, client: stranger), "an unlisted client")
        expectRefused(server.endpoint, options(server: serverKeys, client: nil), "a plain-text client")
    }

    @Test(.enabled(if: PythonModules.gymBridgeProblem == nil, Comment(rawValue: PythonModules.gymBridgeComment)))
    func pythonServerAdmitsOnlyListedClients() throws {
        let serverKeys = try CurveKeyPair.generate(), listed = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sac-curve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "# server secret\n\(serverKeys.secretKey)\n".write(toFile: folder + "/server.key", atomically: true, encoding: .utf8)
        try "# allowed\n\(listed.publicKey)\n".write(toFile: folder + "/allowed", atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            environment: "Pendulum-v1",
            extraArguments: [
                "--curve-secret-key", folder + "/server.key", "--allowed-clients", folder + "/allowed",
            ])
        let environment = try RemoteEnvironment(address: server.endpoint, options: options(server: serverKeys, client: listed))
        _ = try environment.reset(seed: 1)
        #expect(try environment.step([1]).observation.count == 3)
        expectRefused(server.endpoint, options(server: serverKeys, client: stranger), "an unlisted client")
        expectRefused(server.endpoint, options(server: serverKeys, client: nil), "a plain-text client")
    }

    @Test func keysRoundTripThroughTheirSecretKey() throws {
        let pair = try CurveKeyPair.generate()
        #expect(CurveKeyPair.isValidKey(pair.publicKey) && CurveKeyPair.isValidKey(pair.secretKey))
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(throws: ZeroMQError.self) { try CurveKeyPair(secretKey: "too short") }
    }
}
