/// numpy's `SeedSequence` for an integer seed: the entropy-mixing hash (O'Neill's seed_seq design) that turns
/// a seed into the state words of numpy's bit generators, so that ``PCG64`` here and `np.random.PCG64`
/// there start from the same state for the same seed.
///
/// Only what Gymnasium uses is reproduced: an integer seed, no spawn key, a pool of four 32-bit words
/// (numpy's `DEFAULT_POOL_SIZE`).
public struct SeedSequence: Sendable, Equatable {
    /// The mixed entropy pool.
    public private(set) var pool: [UInt32]

    private static let poolSize = 4
    private static let initA: UInt32 = 0x43B0_D7E5, multA: UInt32 = 0x931E_8875
    private static let initB: UInt32 = 0x8B51_F9DD, multB: UInt32 = 0x58F3_8DED
    private static let mixMultL: UInt32 = 0xCA01_F9DD, mixMultR: UInt32 = 0x4973_F715
    private static let xshift: UInt32 = 16

    /// The sequence of `np.random.SeedSequence(seed)`.
    public init(seed: UInt64) {
        // numpy splits the integer into little-endian 32-bit words, without leading zero words (0 is [0]).
        var entropy = [UInt32(truncatingIfNeeded: seed)]
        if seed >> 32 != 0 { entropy.append(UInt32(truncatingIfNeeded: seed >> 32)) }
        var hashConstant = Self.initA
        func hashmix(_ value: UInt32) -> UInt32 {
            var value = value ^ hashConstant
            hashConstant = hashConstant &* Self.multA
            value = value &* hashConstant
            return value ^ (value >> Self.xshift)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let result = Self.mixMultL &* x &- Self.mixMultR &* y
            return result ^ (result >> Self.xshift)
        }
        var pool = (0..<Self.poolSize).map { hashmix($0 < entropy.count ? entropy[$0] : 0) }
        for source in pool.indices {
            for destination in pool.indices where source != destination {
                pool[destination] = mix(pool[destination], hashmix(pool[source]))
            }
        }
        self.pool = pool
    }

    /// `generate_state(count, np.uint64)`: `count` 64-bit words, each two 32-bit words little-endian.
    public func generateState(words count: Int) -> [UInt64] {
        var hashConstant = Self.initB
        var halves: [UInt32] = []
        halves.reserveCapacity(2 * count)
        for i in 0..<(2 * count) {
            var value = pool[i % pool.count] ^ hashConstant
            hashConstant = hashConstant &* Self.multB
            value = value &* hashConstant
            halves.append(value ^ (value >> Self.xshift))
        }
        return (0..<count).map { UInt64(halves[2 * $0]) | UInt64(halves[2 * $0 + 1]) << 32 }
    }
}
