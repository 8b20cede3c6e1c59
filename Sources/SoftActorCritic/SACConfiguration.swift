import Foundation
import SACNeuralNetworks

/// Every hyperparameter of an SAC agent, with the defaults of Stable-Baselines3, CleanRL and the
/// paper's Table 1 (Haarnoja et al., 2018, appendix D); ``crossQ(seed:)`` gives CrossQ's.
public struct SACConfiguration: Codable, Equatable, Sendable {
    /// Formulation to train; ``SACVariant/twinQ`` by default.
    public var variant: SACVariant = .twinQ
    /// Hidden layer widths of every network (actor, Q networks, value network): 256×256 ReLU.
    public var hiddenSizes: [Int] = [256, 256]
    /// Transitions per gradient update.
    public var batchSize: Int = 256
    /// Adam learning rate of every network and of log α.
    public var learningRate: Float = 3e-4
    /// Discount factor γ per environment step.
    public var gamma: Float = 0.99
    /// Polyak averaging coefficient τ of the target networks, applied after every update.
    public var tau: Float = 0.005
    /// Temperature α. `nil` means automatic tuning (twin-q only; starts at α = 1 as in SB3); the
    /// value-network variant always uses a fixed α and defaults to 0.2 when this is `nil`.
    public var alpha: Float? = nil
    /// Entropy the temperature tuning aims for, in nats; `nil` means −dim(A).
    public var targetEntropy: Float? = nil
    /// Seed of the agent's generator (initialisation, exploration noise, replay sampling).
    public var seed: UInt64 = 0
    /// Hidden layer widths of the Q networks; `nil` means ``hiddenSizes``, or for CrossQ
    /// ``crossQCriticHiddenSizes``.
    public var criticHiddenSizes: [Int]? = nil
    /// Critic updates per actor (and temperature) update; `nil` means 1, or 3 for CrossQ. CrossQ only.
    public var policyDelay: Int? = nil
    /// Adam's β₁ for the actor and the critics (the temperature keeps 0.9); `nil` means 0.9, or 0.5 for CrossQ.
    public var adamBeta1: Double? = nil
    /// CrossQ's batch renormalisation; `nil` means its defaults (`BatchRenormalization.Configuration`).
    public var batchRenormalization: BatchRenormalization.Configuration? = nil

    /// The number format of the updates' matrix products; `nil` means `MatrixPrecision.float32`.
    /// `MatrixPrecision.bfloat16` runs the matrix products in bfloat16 (docs/bf16.md) where the CPU has
    /// AVX512_BF16 and falls back to float32 elsewhere (``SACAgent/precision`` says which ran).
    /// Acting and evaluation stay float32.
    public var precision: MatrixPrecision? = nil

    /// The defaults.
    public init() {}

    /// CrossQ's configuration, each setting as in SB3-contrib's `CrossQ` (`sb3_contrib/crossq/crossq.py`
    /// and `policies.py`, ported from SBX and the authors' JAX code):
    /// - no target networks, batch renormalisation before every dense layer of the critics and the actor
    ///   (momentum 0.01, ε = 0.001, 100,000 warm-up steps, r_max 3, d_max 5: `common/torch_layers.py`);
    /// - learning rate 1e-3 for every network and the temperature (`crossq.py`, the paper's Table 3);
    /// - Adam β₁ = 0.5 for actor and critics (`policies.py`, the authors' setting; the temperature's
    ///   optimiser keeps PyTorch's 0.9);
    /// - the actor updated every 3rd critic update (`policy_delay`, the paper's section 4);
    /// - automatic temperature toward −dim(A), batch 256, actor 256×256;
    /// - critics ``crossQCriticHiddenSizes`` wide, where the paper uses 2,048 and SB3-contrib 1,024
    ///   (chosen by measurement on 2 cores: docs/crossq.md).
    public static func crossQ(seed: UInt64 = 0) -> SACConfiguration {
        var configuration = SACConfiguration()
        configuration.variant = .crossQ
        configuration.learningRate = crossQLearningRate
        configuration.seed = seed
        return configuration
    }

    /// CrossQ's learning rate (1e-3).
    public static let crossQLearningRate: Float = 1e-3
    /// CrossQ's default critic widths here.
    public static let crossQCriticHiddenSizes = [256, 256]

    /// The Q networks' hidden widths this configuration trains.
    public var effectiveCriticHiddenSizes: [Int] {
        criticHiddenSizes ?? (variant == .crossQ ? Self.crossQCriticHiddenSizes : hiddenSizes)
    }
    /// Critic updates per actor update this configuration trains with.
    public var effectivePolicyDelay: Int { policyDelay ?? (variant == .crossQ ? 3 : 1) }
    /// Adam's β₁ for actor and critics.
    public var effectiveAdamBeta1: Double { adamBeta1 ?? (variant == .crossQ ? 0.5 : 0.9) }
    /// The precision of the updates' products this configuration asks for.
    public var effectivePrecision: MatrixPrecision { precision ?? .float32 }
    /// The batch renormalisation of CrossQ's networks; `nil` for the other variants.
    public var effectiveBatchRenormalization: BatchRenormalization.Configuration? {
        variant == .crossQ ? (batchRenormalization ?? BatchRenormalization.Configuration()) : nil
    }

    /// Layer widths written as on the command line, comma-separated positive integers ("256,256"), or
    /// `nil` when the text is not that (for `sac` and `sac-dev`).
    package static func widths(parsing text: String) -> [Int]? {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return sizes.compactMap { $0 }
    }

    /// The value-network variant's fixed temperature when none is given (the paper's reward scale 5
    /// for most tasks corresponds to α = 0.2).
    public static let defaultFixedAlpha: Float = 0.2

    /// Throws ``SACError/invalidConfiguration(_:)`` naming the first bad field.
    public func validate() throws(SACError) {
        func check(_ condition: Bool, _ message: String) throws(SACError) {
            if !condition { throw .invalidConfiguration(message) }
        }
        try check(
            !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, "hidden sizes \(hiddenSizes) must be one or more positive widths")
        if let criticHiddenSizes {
            try check(
                !criticHiddenSizes.isEmpty && criticHiddenSizes.allSatisfy { $0 > 0 },
                "critic hidden sizes \(criticHiddenSizes) must be one or more positive widths")
        }
        if let policyDelay {
            try check(policyDelay >= 1, "policy delay \(policyDelay) must be >= 1")
            try check(policyDelay == 1 || variant == .crossQ, "a policy delay applies to crossq only")
        }
        if let adamBeta1 { try check(adamBeta1 >= 0 && adamBeta1 < 1, "Adam beta1 \(adamBeta1) must lie in [0, 1)") }
        if let batchRenormalization {
            try check(variant == .crossQ, "batch renormalisation applies to crossq only")
            try check(
                batchRenormalization.momentum > 0 && batchRenormalization.momentum <= 1, "renormalisation momentum must lie in (0, 1]")
            try check(
                batchRenormalization.epsilon > 0 && batchRenormalization.warmupSteps >= 0
                    && batchRenormalization.rMax >= 1 && batchRenormalization.dMax >= 0,
                "renormalisation needs epsilon > 0, warm-up >= 0, r_max >= 1, d_max >= 0")
        }
        try check(batchSize > 0, "batch size \(batchSize) must be > 0")
        try check(learningRate > 0 && learningRate.isFinite, "learning rate \(learningRate) must be finite and > 0")
        try check(gamma >= 0 && gamma <= 1, "gamma \(gamma) must lie in [0, 1]")
        try check(tau > 0 && tau <= 1, "tau \(tau) must lie in (0, 1]")
        if let alpha { try check(alpha >= 0 && alpha.isFinite, "alpha \(alpha) must be finite and >= 0") }
        if let targetEntropy { try check(targetEntropy.isFinite, "target entropy \(targetEntropy) must be finite") }
    }
}
