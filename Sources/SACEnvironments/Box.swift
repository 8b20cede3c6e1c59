/// A box-shaped space: a tensor of the given shape whose every element lies in `[low[i], high[i]]`.
/// Bounds may be infinite (unbounded observations). Gymnasium's `spaces.Box` with float elements.
public struct Box: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Tensor shape, e.g. `[3]`; the flattened element count is ``count``.
    public let shape: [Int]
    /// Lower bound of each element, flattened row-major.
    public let low: [Float]
    /// Upper bound of each element, flattened row-major.
    public let high: [Float]

    /// A box with per-element bounds; `shape` defaults to `[low.count]`.
    /// Throws when the bounds' lengths disagree with the shape, or a low bound exceeds its high bound or is NaN.
    public init(low: [Float], high: [Float], shape: [Int]? = nil) throws(EnvironmentError) {
        let shape = shape ?? [low.count]
        let count = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), low.count == count, high.count == count else {
            throw .invalidSpace("bounds of \(low.count) and \(high.count) elements do not fit shape \(shape)")
        }
        for i in 0..<count where !(low[i] <= high[i]) {
            throw .invalidSpace("element \(i) has low \(low[i]) above high \(high[i])")
        }
        self.shape = shape
        self.low = low
        self.high = high
    }

    /// A box with the same bounds for every element.
    public init(low: Float, high: Float, shape: [Int]) throws(EnvironmentError) {
        let count = shape.reduce(1, *)
        try self.init(
            low: [Float](repeating: low, count: max(0, count)), high: [Float](repeating: high, count: max(0, count)), shape: shape)
    }

    /// Number of elements.
    public var count: Int { low.count }

    /// Every bound is finite (needed to rescale a squashed action into the box).
    public var isBounded: Bool { low.allSatisfy(\.isFinite) && high.allSatisfy(\.isFinite) }

    /// Throws unless `values` has ``count`` elements, all finite. Does not check bounds: out-of-bounds
    /// actions are legal input that environments clip.
    public func validate(_ values: [Float]) throws(EnvironmentError) {
        guard values.count == count else { throw .actionShapeMismatch(expected: shape, count: values.count) }
        for (index, value) in values.enumerated() where !value.isFinite {
            throw .nonFiniteAction(index: index, value: value)
        }
    }

    /// Checks a batch of actions, one row per copy: `copies` rows of this box's size, every value finite.
    public func validate(_ rows: FloatRows, copies: Int) throws(EnvironmentError) {
        guard rows.count == copies else { throw .copyCountMismatch(expected: copies, got: rows.count) }
        guard rows.width == count else { throw .actionShapeMismatch(expected: shape, count: rows.width) }
        if let flat = rows.values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteAction(index: flat % count, value: rows.values[flat])
        }
    }

    /// `values` clipped element-wise into the box (`np.clip(values, low, high)`).
    public func clip(_ values: [Float]) -> [Float] {
        var clipped = values
        for i in 0..<min(values.count, count) { clipped[i] = Swift.min(Swift.max(values[i], low[i]), high[i]) }
        return clipped
    }

    /// Whether `values` has the right length and lies inside the bounds.
    public func contains(_ values: [Float]) -> Bool {
        values.count == count && zip(values, zip(low, high)).allSatisfy { $0 >= $1.0 && $0 <= $1.1 }
    }

    public var description: String { "Box(shape: \(shape), low: \(low), high: \(high))" }
}
