/// A dense, row-major matrix of `Float` on one contiguous buffer.
///
/// Element (r, c) lives at `storage[r * columns + c]`. A batch of vectors is a matrix with one vector per
/// row, as in PyTorch. The type is a value: copies share storage until one of them is written (copy on
/// write), so workspaces that are only mutated in place never reallocate.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    /// Number of rows (for a batch: the batch size).
    public let rows: Int
    /// Number of columns (for a batch: the feature count).
    public let columns: Int
    /// The elements in row-major order; `storage.count == rows * columns` always.
    public private(set) var storage: [Float]

    /// A `rows × columns` matrix with every element `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major `values`; throws when their count is not `rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) throws(NetworkError) {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw .shapeMismatch(
                operation: "Matrix(rows:columns:values:)",
                expected: "\(rows)×\(columns) = \(max(0, rows * columns)) values",
                actual: "\(values.count) values")
        }
        self.rows = rows
        self.columns = columns
        self.storage = values
    }

    /// The shape as text, "rows×columns", for messages.
    public var shapeDescription: String { "\(rows)×\(columns)" }

    /// Element access; indices are checked in debug builds only, since every caller is library code.
    public subscript(row: Int, column: Int) -> Float {
        get {
            assert(row >= 0 && row < rows && column >= 0 && column < columns, "index (\(row), \(column)) outside \(rows)×\(columns)")
            return storage[row * columns + column]
        }
        set {
            assert(row >= 0 && row < rows && column >= 0 && column < columns, "index (\(row), \(column)) outside \(rows)×\(columns)")
            storage[row * columns + column] = newValue
        }
    }

    /// Copies `values` into row `row`; throws if the length differs from `columns`.
    public mutating func setRow(_ row: Int, to values: [Float]) throws(NetworkError) {
        guard row >= 0, row < rows, values.count == columns else {
            throw .shapeMismatch(
                operation: "Matrix.setRow", expected: "row < \(rows) with \(columns) values",
                actual: "row \(row) with \(values.count) values")
        }
        let base = row * columns
        for c in 0..<columns { storage[base + c] = values[c] }
    }

    /// Row `row` as a new array.
    public func row(_ row: Int) -> [Float] {
        Array(storage[(row * columns)..<((row + 1) * columns)])
    }

    /// Sets every element to `value` without reallocating.
    public mutating func fill(_ value: Float) {
        storage.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }

    /// Read access to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Write access to the contiguous elements (count and shape cannot change).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body(UnsafeMutableBufferPointer(rebasing: $0[...])) }
    }

    public var description: String {
        var lines: [String] = []
        for r in 0..<rows { lines.append(row(r).map { "\($0)" }.joined(separator: " ")) }
        return "Matrix \(shapeDescription)\n" + lines.joined(separator: "\n")
    }
}
