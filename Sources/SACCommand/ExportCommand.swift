import ArgumentParser
import Foundation
import SACPolicyExport
import SoftActorCritic

extension PolicyExportFormat: ExpressibleByArgument {}

/// `sac export`: writes a saved policy as an ONNX model, a C header or a NumPy archive.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained policy's deterministic actions as ONNX, a dependency-free C header, or a NumPy archive.",
        discussion: """
            Every format computes what 'sac eval' does: action = low + (tanh(mu(observation)) + 1) * (high - low) / 2,
            observations flattened row-major, actions in the environment's units.
              onnx   input 'observation' float32 [batch, obs], output 'action' float32 [batch, act]; opset 13
              c      one C99 header: static inline void NAME_act(const float *observation, float *action)
              numpy  an .npz that gym_bridge.policy.load(path) reads (it reads policy.sacp too)
            """)

    @Option(help: "Run directory written by 'sac train' (exports its policy.sacp).")
    var runDir: String?

    @Option(help: "Policy file to export instead of a run directory's.")
    var policy: String?

    @Option(help: ArgumentHelp("Format to write.", valueName: "onnx|c|numpy"))
    var format: PolicyExportFormat

    @Option(help: "File to write (default: the policy's name with .onnx, .h or .npz, beside it).")
    var output: String?

    @Option(help: "Prefix of the C header's functions, arrays and macros (default: the output file's name, e.g. 'policy' for policy.h).")
    var name: String?

    func validate() throws {
        guard (runDir == nil) != (policy == nil) else { throw ValidationError("give exactly one of --run-dir or --policy") }
        if name != nil, format != .c { throw ValidationError("--name names the C header's functions; it applies to --format c only") }
        if let name, !CPolicyHeader.isIdentifier(name) { throw ValidationError(PolicyExportError.invalidCName(name).description) }
    }

    func run() throws {
        let input = policy ?? (runDir! + "/policy.sacp")
        let saved = try SavedPolicy(contentsOf: input)
        let destination = output ?? (URL(fileURLWithPath: input).deletingPathExtension().path + "." + format.fileExtension)
        let prefix = try name ?? Self.cName(for: destination)
        try format.write(saved, to: destination, name: prefix)
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        let interface =
            switch format {
            case .onnx:
                "input 'observation' [batch, \(saved.actor.observationCount)] -> output 'action' [batch, \(saved.actor.actionCount)], opset \(ONNXPolicyModel.opsetVersion)"
            case .c: "\(prefix)_act(const float observation[\(saved.actor.observationCount)], float action[\(saved.actor.actionCount)])"
            case .numpy: "gym_bridge.policy.load(\"\(destination)\").act(observation)"
            }
        print("wrote \(destination) (\(format.rawValue), \(size) bytes): \(interface)")
        print(
            "policy: \(saved.variant) on \(saved.environmentID), observation shape \(saved.observationShape), action shape \(saved.actionShape)"
        )
    }

    /// The C prefix a header's file name suggests: its stem with every other character an underscore.
    static func cName(for path: String) throws -> String {
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var name = String(
            stem.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_") ? Character(scalar) : "_"
            })
        if name.first?.isNumber ?? true { name = "policy_" + name }
        guard CPolicyHeader.isIdentifier(name) else {
            throw ValidationError("the output file's name does not give a C identifier; name one with --name")
        }
        return name
    }
}
