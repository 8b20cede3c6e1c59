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
}
