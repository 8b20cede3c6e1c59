import SACBridgeProtocol
import SACEnvironments
import SACZeroMQ

extension RemoteEnvironmentClient {
    /// Opens a session and decodes its spaces, for the environment types built on a client. When
    /// `numEnvs` is given the server must step that many environments per request; `hint` says how
    /// to fix a mismatch. The session is closed again on any failure.
    static func openSession(
        address: String, options: Options, context: ZeroMQContext, numEnvs: Int?,
        hint: String
    ) throws -> (client: RemoteEnvironmentClient, observationSpace: Box, actionSpace: Box) {
        let client = try RemoteEnvironmentClient(address: address, options: options, context: context)
        if let numEnvs, client.numEnvs != numEnvs {
            client.close()
            throw RemoteEnvironmentError.unsupported(
                address: address, "the server steps \(client.numEnvs) environments per request, not \(numEnvs) (\(hint))")
        }
        do {
            return (client, try client.session.observationSpace.box(), try client.session.actionSpace.box())
        } catch {
            client.close()
            throw RemoteEnvironmentError.server(address: address, error)
        }
    }
}
