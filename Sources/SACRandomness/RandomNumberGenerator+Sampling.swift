extension RandomNumberGenerator {
    /// A uniform sample in [0, 1) with the full 53-bit resolution of a `Double`.
    @inlinable
    package mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform sample in [low, high).
    @inlinable
    package mutating func nextUniform(in low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUnitDouble()
    }

    /// A standard normal sample N(0, 1) by the Box–Muller transform, computed in `Double` and rounded
    /// once; the second variate of each pair is discarded so the stream position is easy to reason about.
    @inlinable
    package mutating func nextStandardNormal() -> Float {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - nextUnitDouble()
        let u2 = nextUnitDouble()
        return Float((-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }

    /// Fills `buffer` with independent N(0, 1) samples, two per Box–Muller pair. Draws exactly
    /// 2 × ⌈count / 2⌉ values of `next()`, so ``skipStandardNormals(_:)`` can stand in for it.
    @inlinable
    package mutating func fillStandardNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var index = 0
        while index < buffer.count {
            let u1 = 1.0 - nextUnitDouble()
            let u2 = nextUnitDouble()
            let radius = (-2.0 * log(u1)).squareRoot()
            let angle = 2.0 * Double.pi * u2
            buffer[index] = Float(radius * cos(angle))
            if index + 1 < buffer.count { buffer[index + 1] = Float(radius * sin(angle)) }
            index += 2
        }
    }

    /// Advances the generator exactly as ``fillStandardNormal(_:)`` of `count` samples would, without
    /// computing them: a copy advanced this way draws the samples that follow, so two threads can fill
    /// consecutive buffers and get the values one thread would.
    @inlinable
    package mutating func skipStandardNormals(_ count: Int) {
        for _ in 0..<(2 * ((count + 1) / 2)) { _ = next() }
    }

    /// A uniform integer in 0..<upperBound without modulo bias (Lemire's method, via the standard library).
    @inlinable
    package mutating func nextIndex(below upperBound: Int) -> Int {
        Int.random(in: 0..<upperBound, using: &self)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
