import Foundation

/// A benchmark's result as one JSON object on one line (keys sorted), for scripts to read; written by
/// `JSONEncoder`. A NaN (a figure that was not measured) is written as `null`.
struct BenchmarkRecord: Encodable {
    enum Value: Encodable {
        case integer(Int)
        case number(Double)
        case text(String)
        case boolean(Bool)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .integer(let value): try container.encode(value)
            case .number(let value) where value.isFinite: try container.encode(value)
            case .number: try container.encodeNil()
            case .text(let value): try container.encode(value)
            case .boolean(let value): try container.encode(value)
            }
        }
    }

    private var fields: [String: Value]

    /// A record of the benchmark `name` (its `bench` field).
    init(_ name: String) { fields = ["bench": .text(name)] }

    mutating func set(_ key: String, _ value: Int) { fields[key] = .integer(value) }
    mutating func set(_ key: String, _ value: String) { fields[key] = .text(value) }
    mutating func set(_ key: String, _ value: Bool) { fields[key] = .boolean(value) }
    /// `value` rounded to `digits` decimals, as the tables show it.
    mutating func set(_ key: String, _ value: Double, digits: Int) {
        let scale = pow(10, Double(digits))
        fields[key] = .number(value.isFinite ? (value * scale).rounded() / scale : value)
    }

    func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }

    /// The record as its JSON line.
    var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
