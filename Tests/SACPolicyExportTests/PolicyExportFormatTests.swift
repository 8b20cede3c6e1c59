import Foundation
import SACNeuralNetworks
@testable import SACPolicyExport
import SACRandomness
import SoftActorCritic
import Testing

@Suite struct PolicyExportFormatTests {
    let policy: SavedPolicy

    init() throws {
        policy = try ExportedPoliciesActLikeSwiftTests.policy(hidden: [8, 4])
    }

    @Test func deterministicPolicyKeepsTheMeanRowsOfTheLastLayer() throws {
        let deterministic = try DeterministicPolicy(policy)
        let network = policy.actor.network
        #expect(deterministic.layers.map(\.outputSize) == [8, 4, 3])
        let last = network.layers[2]
        #expect(deterministic.layers[2].weight == Array(network.parameters[last.weightOffset..<(last.weightOffset + 3 * 4)]))
        #expect(deterministic.layers[2].bias == Array(network.parameters[last.biasOffset..<(last.biasOffset + 3)]))
        #expect(deterministic.halfRange == [2, 5, 0.5])
        #expect(deterministic.observationShape == [2, 3] && deterministic.actionShape == [3])
    }

    @Test func aNonFiniteWeightIsRefusedByEveryFormat() {
        var broken = policy
        broken.actor.network.parameters[5] = .nan
        for format in PolicyExportFormat.allCases {
            #expect(throws: PolicyExportError.nonFiniteParameter(name: "layer 0 weight", index: 5)) { try format.export(broken) }
        }
    }

    @Test func theONNXModelDeclaresItsInterfaceAndGraph() throws {
        let model = try Onnx_ModelProto(serializedBytes: ONNXPolicyModel(try DeterministicPolicy(policy)).serialized())
        #expect(model.irVersion == 7 && model.opsetImport.map(\.version) == [13])
        let graph = model.graph
        #expect(graph.node.map(\.opType) == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Tanh", "Add", "Mul", "Add"])
        #expect(graph.node.filter { $0.opType == "Gemm" }.allSatisfy { $0.attribute.map(\.name) == ["transB"] && $0.attribute[0].i == 1 })
        #expect(graph.input.map(\.name) == ["observation"] && graph.output.map(\.name) == ["action"])
        let inputDims = graph.input[0].type.tensorType.shape.dim
        #expect(inputDims.count == 2 && inputDims[0].dimParam == "batch" && inputDims[1].dimValue == 6)
        #expect(graph.output[0].type.tensorType.shape.dim[1].dimValue == 3)
        let mean = try #require(graph.initializer.first { $0.name == "layer2.weight" })
        #expect(mean.dims == [3, 4] && mean.rawData.count == 4 * 12)
        #expect(
            Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
                == ["environment_id": "Test-v0", "variant": "twin-q", "observation_shape": "[2, 3]", "action_shape": "[3]"])
    }

    @Test(arguments: ["policy", "_p2", "Pendulum_v1"])
    func cIdentifiersAreAccepted(name: String) throws {
        let header = try CPolicyHeader(try DeterministicPolicy(policy), name: name).text
        #expect(header.contains("static inline void \(name)_act(const float *observation, float *action)"))
        #expect(header.contains("#define \(name.uppercased())_OBSERVATION_SIZE 6"))
    }

    @Test(arguments: ["", "2fast", "int", "a-b", "café", String(repeating: "x", count: 64)])
    func otherNamesAreRefused(name: String) throws {
        #expect(throws: PolicyExportError.invalidCName(name)) { try CPolicyHeader(try DeterministicPolicy(policy), name: name) }
    }

    @Test func theHeaderHoldsEveryFloatExactly() throws {
        let header = try CPolicyHeader(try DeterministicPolicy(policy), name: "policy").text
        let first = policy.actor.network.parameters[0]
        #expect(header.contains(String(format: "%af,", Double(first))))
        #expect(Float(String(format: "%a", Double(first))) == first)
    }

    @Test func theNumPyArchiveIsAZipOfNpyFilesAndReproducible() throws {
        let bytes = try PolicyExportFormat.numpy.export(policy)
        #expect(try PolicyExportFormat.numpy.export(policy) == bytes)
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        // The end record counts every array: 8 descriptions and a weight and bias per layer.
        let end = Array(bytes.suffix(22))
        #expect(Array(end.prefix(4)) == [0x50, 0x4B, 0x05, 0x06])
        #expect(Int(end[10]) | Int(end[11]) << 8 == 8 + 2 * 3)
    }

    @Test(arguments: [[Int](), [7], [2, 3], [1000, 6]])
    func npyHeadersArePaddedToSixtyFourBytes(shape: [Int]) {
        let array = NumPyArray([Float](repeating: 1, count: shape.reduce(1, *)), shape: shape)
        let bytes = array.serialized
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes[10 + headerLength - 1] == UInt8(ascii: "\n"))
        #expect(bytes.count == 10 + headerLength + 4 * shape.reduce(1, *))
    }
}
