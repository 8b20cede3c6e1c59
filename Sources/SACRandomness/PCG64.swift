/// numpy's default bit generator, PCG64 (O'Neill's PCG XSL-RR 128/64), seeded through ``SeedSequence`` as
/// `np.random.default_rng(seed)` and Gymnasium's `env.reset(seed=seed)` seed it: the same seed gives the
/// same 64-bit outputs, and through ``nextUnitDouble()`` the same doubles as numpy's `random()` and
/// `uniform()`. The built-in environments draw their start states from it, so a seed means here what it
/// means in Gymnasium.
public struct PCG64: RandomNumberGenerator, Sendable, Equatable {
    /// The 128-bit state and increment (odd), as numpy's `bit_generator.state["state"]` holds them.
    public var state: UInt128
    public var increment: UInt128

    private static let multiplier: UInt128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645

    /// The generator of `np.random.PCG64(np.random.SeedSequence(seed))`.
    public init(seed: UInt64) {
        let words = SeedSequence(seed: seed).generateState(words: 4)
        let initialState = UInt128(words[0]) << 64 | UInt128(words[1])
        let sequence = UInt128(words[2]) << 64 | UInt128(words[3])
        state = 0
        increment = sequence << 1 | 1
        step()
        state &+= initialState
        step()
    }

    /// A generator at a given state (a snapshot's).
    public init(state: UInt128, increment: UInt128) {
        self.state = state
        self.increment = increment
    }

    private mutating func step() {
        state = state &* Self.multiplier &+ increment
    }

    /// The next 64 bits: numpy's `random_raw()`.
    public mutating func next() -> UInt64 {
        step()
        let high = UInt64(truncatingIfNeeded: state >> 64), low = UInt64(truncatingIfNeeded: state)
        return (high ^ low).rotatedRight(by: Int(state >> 122))
    }

    /// A double in [0, 1) as numpy makes one: the top 53 bits over 2⁵³.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// numpy's `Generator.uniform(low, high)`: `low + (high − low) · u`, in `Double`.
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUnitDouble()
    }
}

extension UInt64 {
    /// The bits rotated right by `count` (mod 64).
    fileprivate func rotatedRight(by count: Int) -> UInt64 {
        let k = UInt64(count & 63)
        return (self >> k) | (self << ((64 &- k) & 63))
    }
}
