import ArgumentParser
import SoftActorCritic

/// `--variant twin-q|value-network`.
enum SACVariantArgument: String, CaseIterable {
    case twinQ = "twin-q"
    case valueNetwork = "value-network"

    var variant: SACVariant { SACVariant(rawValue: rawValue)! }
}
