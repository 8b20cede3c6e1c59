import Foundation
import Testing
import SACBridgeProtocol
import SACBridge

/// The Swift server answers every request vector of `protocol/vectors` as the manifest says: decode
/// errors and server errors with their codes, valid requests with a reply of their kind.
@Suite struct ServerConformanceTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../protocol/vectors")
        .standardized

    @Test func everyRequestVectorIsAnsweredAsSpecified() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("manifest.json"))) as! [String: Any]
        let vectors = (manifest["vectors"] as! [[String: Any]]).filter { $0["message"] as? String == "request" }
        #expect(vectors.count >= 15)
        for vector in vectors {
            let server = try EnvironmentServer(environment: "pendulum")
            let opened = try MessageCodec.decodeReply(
                server.handle(MessageCodec.encode(BridgeRequest(requestID: 100, sessionID: "", kind: .handshake(.init())))))
            guard case let .handshake(hello) = opened.kind else { Issue.record("handshake refused"); return }
            _ = server.handle(MessageCodec.encode(BridgeRequest(requestID: 101, sessionID: hello.sessionID, kind: .reset(.init()))))
            var bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(vector["file"] as! String)))
            if vector["decode_error"] == nil, var request = try? MessageCodec.decodeRequest(bytes), request.sessionID == "SESSION" {
                request.sessionID = hello.sessionID
                bytes = MessageCodec.encode(request)
            }
            let reply = try MessageCodec.decodeReply(server.handle(bytes))
            let name = vector["name"] as! String
            // A reply echoes the request's id whenever the frame parses as a Request, also when refused.
            #expect(
                reply.requestID == (vector["reply_request_id"] as? NSNumber)?.uint64Value, "\(name): reply to request \(reply.requestID)")
            if let code = (vector["decode_error"] ?? vector["server_error"]) as? String {
                guard case let .error(error) = reply.kind else { Issue.record("\(name): expected \(code), got \(reply.kind)"); continue }
                #expect(error.code.name == code, "\(name): \(error)")
            } else {
                let kind = (vector["decoded"] as! [String: Any])["kind"] as! String
                let got: String
                switch reply.kind {
                case .handshake: got = "handshake"
                case .reset: got = "reset"
                case .step: got = "step"
                case .close: got = "close"
                case let .error(error): got = "error \(error)"
                }
                #expect(got == kind, "\(name)")
            }
        }
    }
}
