import SACEnvironments

/// Every copy's episode in flight: the observation its next action is chosen from (one row per copy) and
/// the return and length so far. Saved in checkpoints, so a resumed run continues each episode where it stood.
struct EpisodesInFlight: Equatable {
    var observations: FloatRows
    var returns: [Double]
    var lengths: [Int]
    /// Every copy must start a new episode before the next step (start of a run, a resume without the
    /// environments' state).
    var needsReset = true

    /// `copies` copies of observations of `width` features, none with an episode yet.
    init(copies: Int, width: Int) {
        observations = FloatRows(width: width, count: copies)
        returns = Array(repeating: 0, count: copies)
        lengths = Array(repeating: 0, count: copies)
    }

    /// Forgets copy `i`'s return and length (its episode ended, was abandoned, or starts anew).
    mutating func forget(copy i: Int) {
        returns[i] = 0
        lengths[i] = 0
    }
}
