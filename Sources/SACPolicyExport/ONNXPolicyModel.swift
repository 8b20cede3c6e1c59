import Foundation
import SwiftProtobuf

/// A ``DeterministicPolicy`` as an ONNX model (IR version 7, default-domain opset 13, so any ONNX runtime
/// since 2020 runs it):
///
/// - input `observation`: float32 `[batch, obs]`, batch dynamic, the observation flattened row-major;
/// - output `action`: float32 `[batch, act]`, in the environment's units (clipped to nothing: the tanh
///   squash keeps it inside the bounds);
/// - graph: `Gemm` (transB = 1) and `Relu` per hidden layer, a `Gemm` for μ, then `Tanh`, `Add` 1,
///   `Mul` by `half_range` and `Add` `action_low` — the whole policy, squash and rescale included; for
///   CrossQ's actor a `Mul` and an `Add` (its normalisation in inference mode) before every `Gemm`;
/// - metadata: `environment_id`, `variant`, `observation_shape`, `action_shape` (JSON arrays).
///
/// The bytes are written with swift-protobuf from `onnx.proto`, the subset of ONNX's schema the model
/// uses, with ONNX's own field numbers.
public struct ONNXPolicyModel: Sendable {
    /// The ONNX IR version written.
    public static let irVersion: Int64 = 7
    /// The version of the default ONNX operator set the graph uses.
    public static let opsetVersion: Int64 = 13
    /// The graph's input name.
    public static let inputName = "observation"
    /// The graph's output name.
    public static let outputName = "action"

    private let model: Onnx_ModelProto

    /// The model for `policy`.
    public init(_ policy: DeterministicPolicy) {
        var graph = Onnx_GraphProto()
        graph.name = "sac_deterministic_policy"
        graph.docString = "Deterministic Soft Actor-Critic policy: action = low + (tanh(mu(observation)) + 1) * half_range."
        graph.input = [Self.valueInfo(Self.inputName, features: policy.observationCount)]
        graph.output = [Self.valueInfo(Self.outputName, features: policy.actionCount)]
        var previous = Self.inputName
        for (index, layer) in policy.layers.enumerated() {
            if let scale = layer.normalizationScale, let shift = layer.normalizationShift {
                // CrossQ's normalisation in inference mode: scale ⊙ x + shift, as the Swift evaluator computes it.
                let scaleName = "layer\(index).normalization.scale", shiftName = "layer\(index).normalization.shift"
                graph.initializer.append(Self.tensor(scaleName, dims: [layer.inputSize], values: scale))
                graph.initializer.append(Self.tensor(shiftName, dims: [layer.inputSize], values: shift))
                graph.node.append(Self.node("Mul", inputs: [previous, scaleName], output: "layer\(index).scaled"))
                graph.node.append(Self.node("Add", inputs: ["layer\(index).scaled", shiftName], output: "layer\(index).normalized"))
                previous = "layer\(index).normalized"
            }
            let weight = "layer\(index).weight", bias = "layer\(index).bias"
            graph.initializer.append(Self.tensor(weight, dims: [layer.outputSize, layer.inputSize], values: layer.weight))
            graph.initializer.append(Self.tensor(bias, dims: [layer.outputSize], values: layer.bias))
            let isLast = index == policy.layers.count - 1
            let linear = isLast ? "mean" : "layer\(index).linear"
            graph.node.append(
                Self.node(
                    "Gemm", inputs: [previous, weight, bias], output: linear,
                    attributes: [Self.intAttribute("transB", 1)]))
            previous = linear
            if !isLast {
                graph.node.append(Self.node("Relu", inputs: [linear], output: "layer\(index).relu"))
                previous = "layer\(index).relu"
            }
        }
        graph.initializer.append(Self.tensor("one", dims: [], values: [1]))
        graph.initializer.append(Self.tensor("half_range", dims: [policy.actionCount], values: policy.halfRange))
        graph.initializer.append(Self.tensor("action_low", dims: [policy.actionCount], values: policy.actionLow))
        graph.node.append(Self.node("Tanh", inputs: ["mean"], output: "squashed"))
        graph.node.append(Self.node("Add", inputs: ["squashed", "one"], output: "shifted"))
        graph.node.append(Self.node("Mul", inputs: ["shifted", "half_range"], output: "offset"))
        graph.node.append(Self.node("Add", inputs: ["action_low", "offset"], output: Self.outputName))

        var model = Onnx_ModelProto()
        model.irVersion = Self.irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opsetVersion
        model.opsetImport = [opset]
        model.producerName = "SwiftSAC sac export"
        model.producerVersion = "1"
        model.docString = "The deterministic policy of a SAC agent (\(policy.variant)) trained on \(policy.environmentID)."
        model.graph = graph
        model.metadataProps = [
            ("environment_id", policy.environmentID), ("variant", policy.variant),
            ("observation_shape", "\(policy.observationShape)"), ("action_shape", "\(policy.actionShape)"),
        ].map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        self.model = model
    }

    /// The model file's bytes (a serialised `onnx.ModelProto`).
    public func serialized() -> [UInt8] {
        // Encoding fails only for unset proto2 `required` fields, and the subset declares none.
        (try? model.serializedBytes()) ?? []
    }

    private static func valueInfo(_ name: String, features: Int) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var width = Onnx_TensorShapeProto.Dimension()
        width.dimValue = Int64(features)
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape.dim = [batch, width]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        return info
    }

    private static func tensor(_ name: String, dims: [Int], values: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = dims.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var raw = Data(capacity: 4 * values.count)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        tensor.rawData = raw
        return tensor
    }

    private static func node(
        _ operation: String, inputs: [String], output: String,
        attributes: [Onnx_AttributeProto] = []
    ) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = operation
        node.name = output
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        return node
    }

    private static func intAttribute(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = value
        return attribute
    }
}
