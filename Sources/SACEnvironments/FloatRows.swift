/// Rows of equal width in one contiguous buffer, row after row: one observation or action per copy of an
/// environment, as a batch travels through a ``VectorEnvironment`` (and as the envbridge protocol carries
/// it), so that stepping N copies costs no array per copy.
public struct FloatRows: Equatable, Sendable {
    /// The elements, row after row: `count × width` of them.
    public var values: [Float]
    /// Elements per row, at least 1.
    public let width: Int

    /// Rows of `width` elements taken from `values`, whose count must be a multiple of `width`.
    public init(width: Int, values: [Float]) {
        precondition(width > 0 && values.count % width == 0, "\(values.count) values do not make rows of \(width)")
        self.width = width
        self.values = values
    }

    /// `count` rows of `width` zeros.
    public init(width: Int, count: Int) {
        self.init(width: width, values: Array(repeating: 0, count: width * count))
    }

    /// The rows of `rows`, each of `width` elements (copied into one buffer).
    public init(width: Int, rows: [[Float]]) {
        precondition(rows.allSatisfy { $0.count == width }, "rows of other widths than \(width)")
        self.init(width: width, values: rows.flatMap { $0 })
    }

    /// The number of rows.
    public var count: Int { values.count / width }

    /// Row `i`.
    public subscript(i: Int) -> ArraySlice<Float> {
        get { values[(i * width)..<((i + 1) * width)] }
        set {
            precondition(newValue.count == width, "a row of \(newValue.count) elements in rows of \(width)")
            values.replaceSubrange((i * width)..<((i + 1) * width), with: newValue)
        }
    }

    /// The elements of rows `range`, row after row; set with as many elements, in place.
    public subscript(rows range: Range<Int>) -> ArraySlice<Float> {
        get { values[(range.lowerBound * width)..<(range.upperBound * width)] }
        set {
            precondition(newValue.count == range.count * width, "\(newValue.count) elements for \(range.count) rows of \(width)")
            values.replaceSubrange((range.lowerBound * width)..<(range.upperBound * width), with: newValue)
        }
    }

    /// Every row as an array of its own (allocates one per row: for tests, messages and tools).
    public var rows: [[Float]] { (0..<count).map { Array(self[$0]) } }

    /// Rows `range` as rows of their own (copied).
    public func rows(_ range: Range<Int>) -> FloatRows {
        FloatRows(width: width, values: Array(self[rows: range]))
    }
}

extension FloatRows: ExpressibleByArrayLiteral {
    /// Rows written out, `[[0.5, -1], [0, 1]]`: all of one width (an empty literal makes no rows of width 1).
    public init(arrayLiteral rows: [Float]...) {
        self.init(width: rows.first?.count ?? 1, rows: rows)
    }
}
