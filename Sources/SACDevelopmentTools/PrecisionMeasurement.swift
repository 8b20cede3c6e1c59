import Foundation
import SACNeuralNetworks
import SoftActorCritic

/// `sac-dev bench updates`: one precision's agent and what its rounds measured.
struct PrecisionMeasurement {
    let requested: MatrixPrecision
    let agent: SACAgent
    var sampling = Duration.zero
    var updating = Duration.zero
    var roundRates: [Double] = []
    var roundPeaks: [Double] = []
    var roundFractions: [Double] = []

    /// Per round, this precision's updates/s over `first`'s in the same round (the rounds ran back to back).
    func roundRatios(to first: PrecisionMeasurement) -> [Double] {
        zip(roundRates, first.roundRates).map { $0 / $1 }
    }

    private var peakName: String { agent.precision == .bfloat16 ? "bf16 matmul" : "sgemm" }

    /// The table's rows for this precision; with `label`, each names the precision.
    func rows(updates: Int, rounds: Int, skipPeak: Bool, updateThreads: Int, label: Bool) -> [(String, String)] {
        let flops = agent.matrixFlopsPerUpdate
        let rate = Double(updates) / (sampling + updating).seconds
        let prefix = label ? "\(agent.precision.rawValue): " : ""
        var rows: [(String, String)] = [
            (
                "\(prefix)precision",
                agent.precision == requested
                    ? requested.rawValue
                    : "\(agent.precision.rawValue) (\(requested.rawValue) asked for: \(MatrixPrecision.bfloat16Unavailability ?? ""))"
            ),
            ("\(prefix)updates/s", String(format: "%.1f", rate)),
            ("\(prefix)ms per update", String(format: "%.3f (sampling %.3f)", 1e3 / rate, 1e3 * sampling.seconds / Double(updates))),
            ("\(prefix)GFLOP per update (matrix products)", String(format: "%.3f", flops / 1e9)),
            ("\(prefix)achieved GFLOP/s in updates", String(format: "%.1f", flops * Double(updates) / updating.seconds / 1e9)),
        ]
        let peakTitle = "\(prefix)\(peakName) peak GFLOP/s (256x256x256\(updateThreads == 2 ? ", two at a time" : ""))"
        if skipPeak {
            rows += [(peakTitle, "not measured"), ("\(prefix)fraction of \(peakName) peak", "not measured")]
        } else {
            rows += [
                (
                    peakTitle,
                    String(
                        format: "%.1f (median of %d rounds, %.1f–%.1f)", median(roundPeaks), rounds, roundPeaks.min()!, roundPeaks.max()!)
                ),
                (
                    "\(prefix)fraction of \(peakName) peak",
                    String(
                        format: "%.0f%% (median of the rounds' own fractions, %.0f–%.0f%%)", 100 * median(roundFractions),
                        100 * roundFractions.min()!, 100 * roundFractions.max()!)
                ),
            ]
        }
        return rows
    }

    /// This precision's fields of the JSON line.
    func fill(_ record: inout BenchmarkRecord, updates: Int, rounds: Int, skipPeak: Bool) {
        let flops = agent.matrixFlopsPerUpdate
        record.set("precision", agent.precision.rawValue)
        record.set("updates_per_second", Double(updates) / (sampling + updating).seconds, digits: 1)
        record.set("gflop_per_update", flops / 1e9, digits: 4)
        record.set("gflops", flops * Double(updates) / updating.seconds / 1e9, digits: 1)
        record.set(agent.precision == .bfloat16 ? "bf16_peak_gflops" : "sgemm_peak_gflops", skipPeak ? .nan : median(roundPeaks), digits: 1)
        record.set("rounds", rounds)
        record.set("peak_fraction_round_median", skipPeak ? .nan : median(roundFractions), digits: 3)
        record.set("peak_fraction_round_low", roundFractions.min() ?? .nan, digits: 3)
        record.set("peak_fraction_round_high", roundFractions.max() ?? .nan, digits: 3)
    }
}
