/// A seeded, portable pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018).
///
/// Every stochastic part of the library (weight initialisation, exploration noise, replay sampling,
/// environment resets) draws from one of these, so a run is fully determined by its seeds. The state is
/// four 64-bit words, expanded from a single 64-bit seed with SplitMix64 as the authors recommend, so
/// that nearby seeds give unrelated streams. The generator is a value type: copying it forks the stream.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The four words of generator state; exposed so checkpoints can save and restore a stream exactly.
    public var state: (UInt64, UInt64, UInt64, UInt64) {
        get { (s0, s1, s2, s3) }
        set { (s0, s1, s2, s3) = newValue }
    }

    @usableFromInline internal var s0: UInt64
    @usableFromInline internal var s1: UInt64
    @usableFromInline internal var s2: UInt64
    @usableFromInline internal var s3: UInt64

    /// Creates a generator whose stream is a function of `seed` alone.
    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next()
        s1 = next()
        s2 = next()
        s3 = next()
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Derives an independent generator, e.g. one per environment copy, without disturbing
    /// reproducibility of this one beyond the single draw it consumes.
    public mutating func split() -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: next())
    }

    @usableFromInline
    internal func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.s0 == rhs.s0 && lhs.s1 == rhs.s1 && lhs.s2 == rhs.s2 && lhs.s3 == rhs.s3
    }
}
