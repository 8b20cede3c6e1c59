import Foundation

/// A ``DeterministicPolicy`` as one C99 header: the weights as `static const float` arrays (hexadecimal
/// literals, so every float is exact) and
/// ```c
/// static inline void NAME_act(const float *observation, float *action);
/// ```
/// which reads `NAME_OBSERVATION_SIZE` floats and writes `NAME_ACTION_SIZE` floats in the environment's
/// units. No allocation (two stack arrays of `NAME_MAX_WIDTH` floats), no static state (reentrant), no
/// dependency beyond `<math.h>` (`tanhf`; link with `-lm`). Compiles cleanly with
/// `cc -std=c99 -Wall -Wextra -Werror -pedantic`. The functions are `static inline`, so the header can be
/// included in several translation units and unused functions draw no warning.
public struct CPolicyHeader: Sendable {
    /// The header's text.
    public let text: String

    /// The header for `policy`, with every function, array and macro prefixed by `name` (a C identifier).
    public init(_ policy: DeterministicPolicy, name: String) throws(PolicyExportError) {
        guard Self.isIdentifier(name) else { throw .invalidCName(name) }
        let upper = name.uppercased()
        var out = """
            /* \(name).h: the deterministic policy of a Soft Actor-Critic agent (\(Self.comment(policy.variant))), trained on
             * \(Self.comment(policy.environmentID)), exported by `sac export --format c`.
             *
             *   \(name)_act(observation, action): observation is \(upper)_OBSERVATION_SIZE floats (shape \(policy.observationShape), row-major),
             *   action receives \(upper)_ACTION_SIZE floats (shape \(policy.actionShape)) in the environment's units:
             *     h = observation; h = relu(W h + b) per hidden layer; mu = W h + b;
             *     action = low + (tanhf(mu) + 1) * half_range
             *
             * C99; no allocation, no static state; needs only <math.h> (link with -lm).
             */
            #ifndef \(upper)_H_INCLUDED
            #define \(upper)_H_INCLUDED

            #include <math.h>

            #define \(upper)_OBSERVATION_SIZE \(policy.observationCount)
            #define \(upper)_ACTION_SIZE \(policy.actionCount)
            #define \(upper)_MAX_WIDTH \(policy.isNormalized ? max(policy.widestLayer, policy.widestInput) : policy.widestLayer)


            """
        for (index, layer) in policy.layers.enumerated() {
            if let scale = layer.normalizationScale, let shift = layer.normalizationShift {
                out += Self.array(
                    "\(name)_layer\(index)_scale", scale, comment: "batch renormalisation in inference mode: x * scale + shift")
                out += Self.array("\(name)_layer\(index)_shift", shift, comment: nil)
            }
            out += Self.array("\(name)_layer\(index)_weight", layer.weight, comment: "\(layer.outputSize) x \(layer.inputSize), row-major")
            out += Self.array("\(name)_layer\(index)_bias", layer.bias, comment: nil)
        }
        out += Self.array("\(name)_action_low", policy.actionLow, comment: "lower action bounds")
        out += Self.array("\(name)_half_range", policy.halfRange, comment: "(high - low) / 2")
        out += """
            /* y = W x + b, W out x in row-major; the products are summed first, then the bias added, as the
               training library does. With relu, negative outputs become 0. */
            static inline void \(name)_dense(const float *weight, const float *bias, int in, int out,
                                           const float *x, float *y, int relu) {
                int i, j;
                for (j = 0; j < out; ++j) {
                    const float *row = weight + (long)j * in;
                    float sum = 0.0f;
                    for (i = 0; i < in; ++i) sum += row[i] * x[i];
                    sum += bias[j];
                    y[j] = (relu && sum < 0.0f) ? 0.0f : sum;
                }
            }

            /* x = x * scale + shift, per feature (CrossQ's normalisation in inference mode). */
            static inline void \(name)_normalize(const float *scale, const float *shift, int count, const float *x, float *y) {
                int i;
                for (i = 0; i < count; ++i) y[i] = scale[i] * x[i] + shift[i];
            }

            /* The deterministic action for one observation. */
            static inline void \(name)_act(const float *observation, float *action) {
                float a[\(upper)_MAX_WIDTH], b[\(upper)_MAX_WIDTH];
                int j;

            """
        let last = policy.layers.count - 1
        var current = "observation"
        var usesB = false
        for (index, layer) in policy.layers.enumerated() {
            // Ping-pong between a and b: each step writes the buffer its input is not in.
            func other(_ buffer: String) -> String { buffer == "a" ? "b" : "a" }
            if layer.normalizationScale != nil {
                let target = other(current)
                out +=
                    "    \(name)_normalize(\(name)_layer\(index)_scale, \(name)_layer\(index)_shift, \(layer.inputSize), \(current), \(target));\n"
                current = target
                usesB = usesB || target == "b"
            }
            let target = other(current)
            out +=
                "    \(name)_dense(\(name)_layer\(index)_weight, \(name)_layer\(index)_bias, \(layer.inputSize), \(layer.outputSize), \(current), \(target), \(index == last ? 0 : 1));\n"
            current = target
            usesB = usesB || target == "b"
        }
        let mean = current
        if !usesB { out += "    (void)b;\n" }
        out += """
                for (j = 0; j < \(upper)_ACTION_SIZE; ++j)
                    action[j] = \(name)_action_low[j] + (tanhf(\(mean)[j]) + 1.0f) * \(name)_half_range[j];
            }

            #endif /* \(upper)_H_INCLUDED */

            """
        text = out
    }

    /// Whether `name` can name C functions and arrays: letters, digits and underscores, not starting with
    /// a digit, and not a C99 keyword.
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty, name.count <= 63 else { return false }
        let allowed = { (c: Unicode.Scalar) in
            c.isASCII && (c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c))
        }
        guard name.unicodeScalars.allSatisfy(allowed), !("0"..."9").contains(first) else { return false }
        return !keywords.contains(name)
    }

    private static let keywords: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Complex", "_Imaginary",
    ]

    /// Text safe inside a C block comment.
    private static func comment(_ text: String) -> String {
        text.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "\n", with: " ")
    }

    private static func array(_ name: String, _ values: [Float], comment: String?) -> String {
        var out = comment.map { "/* \($0) */\n" } ?? ""
        out += "static const float \(name)[\(values.count)] = {\n"
        var line = "   "
        for value in values {
            let literal = " " + hexadecimal(value) + ","
            if line.count + literal.count > 100 {
                out += line + "\n"
                line = "   "
            }
            line += literal
        }
        out += line + "\n};\n\n"
        return out
    }

    /// The float as an exact C99 hexadecimal literal, e.g. `-0x1.8p+1f`.
    private static func hexadecimal(_ value: Float) -> String {
        value == 0 ? (value.sign == .minus ? "-0x0p+0f" : "0x0p+0f") : String(format: "%af", Double(value))
    }
}
