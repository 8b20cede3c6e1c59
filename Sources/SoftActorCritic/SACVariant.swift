/// Which formulation of Soft Actor-Critic to train.
public enum SACVariant: String, CaseIterable, Codable, Sendable {
    /// The modern default (Haarnoja et al., "Soft Actor-Critic Algorithms and Applications", 2018b):
    /// two Q networks with Polyak-averaged targets, the clipped double-Q soft target, and automatic
    /// temperature tuning toward a target entropy of −dim(A).
    case twinQ = "twin-q"
    /// The original paper (Haarnoja et al., "Soft Actor-Critic: Off-Policy Maximum Entropy Deep RL with a
    /// Stochastic Actor", ICML 2018): a soft value network V_ψ with a Polyak-averaged target V_ψ̄, two Q
    /// networks trained toward `r + γ·V_ψ̄(s′)`, and a fixed temperature α (the inverse reward scale).
    case valueNetwork = "value-network"
    /// CrossQ (Bhatt et al., "CrossQ: Batch Normalization in Deep Reinforcement Learning for Greater Sample
    /// Efficiency and Simplicity", ICLR 2024): twin Q networks without targets, batch renormalisation in
    /// the critics and the actor, one joint critic pass on (s, a) and (s′, a′) whose s′ half gives the
    /// target, a delayed actor, Adam with β₁ = 0.5, and automatic temperature. See
    /// ``SACConfiguration/crossQ(seed:)`` for each setting's source.
    case crossQ = "crossq"
}
