import Foundation
import Testing
import SACBridgeProtocol

/// The Swift codec against `protocol/vectors`: every valid vector decodes to its manifest view (the same
/// canonical JSON the Python tests use), re-encodes to bytes that decode to the same view, and every
/// invalid one is refused with its error code.
@Suite struct ConformanceVectorTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../protocol/vectors")
        .standardized

    struct Vector: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let isRequest: Bool
        let decoded: Data? // canonical view as JSON
        let decodeError: String?
        var testDescription: String { name }
    }

    static let vectors: [Vector] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = manifest["vectors"] as? [[String: Any]]
        else { return [] }
        return entries.map { entry in
            Vector(
                name: entry["name"] as! String, file: entry["file"] as! String, isRequest: entry["message"] as! String == "request",
                decoded: entry["decoded"].flatMap { try? JSONSerialization.data(withJSONObject: $0) },
                decodeError: entry["decode_error"] as? String)
        }
    }()

    @Test func manifestIsPresent() {
        #expect(Self.vectors.count >= 20)
    }

    @Test(arguments: vectors)
    func vectorDecodesAsSpecified(vector: Vector) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(vector.file)))
        if let expected = vector.decodeError {
            do {
                if vector.isRequest { _ = try MessageCodec.decodeRequest(bytes) } else { _ = try MessageCodec.decodeReply(bytes) }
                Issue.record("\(vector.name) decoded, expected \(expected)")
            } catch {
                #expect(error.code.name == expected, "\(vector.name): \(error)")
            }
            return
        }
        let expected = try JSONSerialization.jsonObject(with: vector.decoded!) as! NSDictionary
        if vector.isRequest {
            let request = try MessageCodec.decodeRequest(bytes)
            #expect(CanonicalView.of(request) as NSDictionary == expected, "\(vector.name): \(CanonicalView.of(request))")
            #expect(try MessageCodec.decodeRequest(MessageCodec.encode(request)) == request)
        } else {
            let reply = try MessageCodec.decodeReply(bytes)
            #expect(CanonicalView.of(reply) as NSDictionary == expected, "\(vector.name): \(CanonicalView.of(reply))")
            #expect(try MessageCodec.decodeReply(MessageCodec.encode(reply)) == reply)
        }
    }
}

/// The manifest's canonical JSON view of a message (see protocol/vectors/generate_vectors.py).
enum CanonicalView {
    static func number(_ x: Double) -> Any {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return x
    }
    static func tensor(_ t: Tensor) -> [String: Any] {
        let values: [Any] = t.doubles().map { number($0) }
        return ["dtype": t.dtype.rawValue, "shape": t.shape, "values": values]
    }
    static func seed(_ s: UInt64?) -> Any { s.map { $0 as Any } ?? NSNull() }

    static func of(_ request: BridgeRequest) -> [String: Any] {
        var view: [String: Any] = ["request_id": request.requestID, "session_id": request.sessionID]
        switch request.kind {
        case let .handshake(h):
            view.merge([
                "kind": "handshake", "protocol_major": h.protocolMajor, "protocol_minor": h.protocolMinor, "client_name": h.clientName,
                "observation_dtype": h.observationDType.map { $0.rawValue } as Any? ?? NSNull(),
            ]) { $1 }
            if !h.clientNonce.isEmpty { view["client_nonce"] = h.clientNonce } // protocol 1.1
        case let .reset(r):
            let states: [Any] = r.states.map { state -> Any in state.map { tensor($0) } ?? NSNull() }
            let seeds: [Any] = r.seeds.map { seed($0) }
            view.merge(["kind": "reset", "seeds": seeds, "states": states]) { $1 }
            if !r.environmentIndices.isEmpty { view["env_indices"] = r.environmentIndices } // protocol 1.1
        case let .step(actions):
            view.merge(["kind": "step", "actions": tensor(actions)]) { $1 }
        case .close:
            view["kind"] = "close"
        }
        return view
    }

    static func of(_ reply: BridgeReply) -> [String: Any] {
        var view: [String: Any] = ["request_id": reply.requestID, "server_instance_id": reply.serverInstanceID]
        switch reply.kind {
        case let .handshake(h):
            view.merge([
                "kind": "handshake", "environment_id": h.environmentID, "num_envs": h.numEnvs, "session_id": h.sessionID,
                "max_episode_steps": h.maxEpisodeSteps,
                "observation_space": ["low": tensor(h.observationSpace.low), "high": tensor(h.observationSpace.high)],
                "action_space": ["low": tensor(h.actionSpace.low), "high": tensor(h.actionSpace.high)],
            ]) { $1 }
        case let .reset(r):
            let seeds: [Any] = r.seedsUsed.map { seed($0) }
            view.merge(["kind": "reset", "observations": tensor(r.observations), "seeds_used": seeds]) { $1 }
        case let .step(s):
            let rewards: [Any] = s.rewards.map { number($0) }
            var finals: [String: Any] = [:]
            for (index, observation) in s.finalObservations { finals["\(index)"] = tensor(observation) }
            let failures: [[String: Any]] = s.failures.map { ["index": $0.index, "code": $0.error.code.name, "message": $0.error.message] }
            view.merge([
                "kind": "step", "observations": tensor(s.observations), "rewards": rewards, "terminated": s.terminated,
                "truncated": s.truncated, "final_observations": finals, "failures": failures,
                "infos": s.infos, "server_step_seconds": s.serverStepSeconds,
            ]) { $1 }
        case .close:
            view["kind"] = "close"
        case let .error(e):
            view.merge(["kind": "error", "code": e.code.name, "message": e.message]) { $1 }
        }
        return view
    }
}
