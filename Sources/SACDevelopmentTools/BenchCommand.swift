import ArgumentParser
import Foundation
import SACNeuralNetworks
import SoftActorCritic

/// `sac-dev bench`: speed measurements, printed as a table and as JSON lines.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure gradient-update and bridge throughput (build with -c release).",
        subcommands: [
            BenchUpdatesCommand.self, BenchBridgeCommand.self, BenchOverlapCommand.self, BenchScaleCommand.self, BenchMemoryCommand.self,
            BenchEchoCommand.self,
        ])
}

/// `sac-dev bench updates`: gradient updates per second of the agent alone, against the sgemm roofline.
struct BenchUpdatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "updates",
        abstract:
            "Gradient updates per second of the agent alone (no environment), with GFLOP/s and the sgemm peak measured in the same run.")

    enum Shapes: String, ExpressibleByArgument, CaseIterable {
        case pendulum, halfcheetahShapes = "halfcheetah-shapes"
        var sizes: (observations: Int, actions: Int) { self == .pendulum ? (3, 1) : (17, 6) }
    }

    @Option(help: "Observation and action sizes: pendulum (3, 1) or halfcheetah-shapes (17, 6).")
    var env: Shapes = .pendulum

    @Option(help: "OpenBLAS threads of each matrix product (default: 1 with --threads 2, OpenBLAS's choice otherwise).")
    var blasThreads: Int?

    @Option(
        name: .customLong("threads"),
        help:
            "Threads of each update, as in `sac train`: 2 runs the two critics (and the actor on s and s′) side by side, each product on one OpenBLAS thread unless --blas-threads says otherwise."
    )
    var updateThreads: Int = 1

    @Option(help: "Timed updates.")
    var updates: Int = 1_000

    @Option(help: "SAC variant (crossq: its own defaults, learning rate and critic widths included).")
    var variant: SACVariant = .twinQ

    @Option(help: "Hidden widths of the Q networks, comma-separated (default: the variant's).")
    var criticHidden: String?

    @Option(
        name: .customLong("precision"),
        help:
            "Number format of the matrix products: float32 or bf16 (bfloat16 inputs, float32 accumulation; float32 where the CPU lacks AVX512_BF16). Given twice (--precision float32 --precision bf16), the rounds alternate between the two and the table adds their ratio."
    )
    var precisions: [MatrixPrecision] = [.float32]

    @Option(help: "Rounds the timed updates are split into, each followed by a short sgemm peak measurement.")
    var rounds: Int = 5

    @Flag(help: "Skip the sgemm peak measurement (e.g. under valgrind).")
    var skipPeak = false

    func validate() throws {
        guard updates >= 10 else { throw ValidationError("--updates must be at least 10") }
        guard rounds >= 1, rounds <= updates else { throw ValidationError("--rounds must be between 1 and --updates") }
        if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1") }
        if let criticHidden, SACConfiguration.widths(parsing: criticHidden) == nil {
            throw ValidationError("--critic-hidden must be comma-separated positive integers, got '\(criticHidden)'")
        }
        guard updateThreads == 1 || updateThreads == 2 else { throw ValidationError("--threads must be 1 or 2") }
        guard (1...2).contains(precisions.count) else { throw ValidationError("--precision may be given once or twice") }
    }

    func run() throws {
        BLAS.setThreadCount(blasThreads ?? (updateThreads == 2 ? 1 : BLAS.threadCount))
        let (o, a) = env.sizes
        var measurements: [PrecisionMeasurement] = []
        for precision in precisions {
            var configuration = variant == .crossQ ? SACConfiguration.crossQ() : SACConfiguration()
            configuration.variant = variant
            configuration.criticHiddenSizes = criticHidden.flatMap(SACConfiguration.widths(parsing:))
            configuration.precision = precision
            let agent = try SACAgent(observationCount: o, actionCount: a, configuration: configuration)
            agent.updateThreads = updateThreads
            measurements.append(PrecisionMeasurement(requested: precision, agent: agent))
        }
        let configuration = measurements[0].agent.configuration
        var replay = try RandomReplay(transitions: 10_000, observationCount: o, actionCount: a, batchSize: configuration.batchSize, seed: 1)
        for measurement in measurements { replay.update(measurement.agent, times: 20) }
        // Rounds of updates, each followed by a short peak measurement, so that a burst of load from
        // another job on a shared machine falls on a round's updates and its peak alike and the fraction
        // within a round holds; the table gives the median fraction over the rounds and its range. With
        // two precisions the rounds alternate between them, so that both see the same machine.
        let clock = ContinuousClock()
        let pair = updateThreads == 2 ? WorkerPair() : nil
        for round in 0..<rounds {
            let count = updates / rounds + (round < updates % rounds ? 1 : 0)
            for index in measurements.indices {
                let agent = measurements[index].agent
                var roundUpdating = Duration.zero
                for _ in 0..<count {
                    let t0 = clock.now
                    replay.sample()
                    let t1 = clock.now
                    agent.update(batch: replay.batch)
                    measurements[index].sampling += t1 - t0
                    roundUpdating += clock.now - t1
                }
                measurements[index].updating += roundUpdating
                measurements[index].roundRates.append(Double(count) / roundUpdating.seconds)
                guard !skipPeak else { continue }
                // Two update threads run two products at a time: their ceiling is two products' speed.
                let peak = try Self.productPeak(precision: agent.precision, pair: pair, products: 200)
                measurements[index].roundPeaks.append(peak)
                measurements[index].roundFractions.append(agent.matrixFlopsPerUpdate * Double(count) / roundUpdating.seconds / 1e9 / peak)
            }
        }
        var rows: [(String, String)] = [
            (
                "shapes",
                "\(env.rawValue) (obs \(o), act \(a)), \(variant.rawValue), batch \(configuration.batchSize), actor 256x256, critics "
                    + configuration.effectiveCriticHiddenSizes.map(String.init).joined(separator: "x")
            ),
            ("BLAS", "OpenBLAS \(BLAS.kernel), \(BLAS.threadCount) thread(s); \(updateThreads) update thread(s)"),
        ]
        for measurement in measurements {
            rows += measurement.rows(
                updates: updates, rounds: rounds, skipPeak: skipPeak, updateThreads: updateThreads, label: measurements.count > 1)
        }
        if measurements.count > 1 {
            for measurement in measurements.dropFirst() {
                let ratios = measurement.roundRatios(to: measurements[0])
                rows.append(
                    (
                        "\(measurement.agent.precision.rawValue) / \(measurements[0].agent.precision.rawValue) updates/s",
                        String(format: "%.2f× (median of the rounds' own ratios, %.2f–%.2f)", median(ratios), ratios.min()!, ratios.max()!)
                    ))
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        for measurement in measurements {
            var record = BenchmarkRecord("updates")
            record.set("env", env.rawValue)
            record.set("variant", variant.rawValue)
            record.set("critic_hidden", configuration.effectiveCriticHiddenSizes.map(String.init).joined(separator: ","))
            record.set("threads", BLAS.threadCount)
            record.set("update_threads", updateThreads)
            measurement.fill(&record, updates: updates, rounds: rounds, skipPeak: skipPeak)
            if measurements.count > 1 {
                record.set("updates_per_second_ratio_to_first", median(measurement.roundRatios(to: measurements[0])), digits: 3)
            }
            print(record.line)
        }
    }

    /// GFLOP/s of a 256×256×256 product in `precision` (the size of the hidden layers at batch 256) — an
    /// sgemm, or libxsmm's bfloat16 kernel with float32 accumulation as a bf16 update runs it — at the
    /// current thread count, over `products` of them after a warm-up; with `pair`, of two such products
    /// running at once, one on each of its threads.
    static func productPeak(precision: MatrixPrecision, pair: WorkerPair? = nil, products count: Int = 1_000) throws -> Double {
        let products = try RepeatedProducts(size: 256, precision: precision)
        func both(_ repetitions: Int) {
            if let pair { pair.run(products, task: repetitions) } else { products.perform(repetitions, lane: 0) }
        }
        both(20)
        let clock = ContinuousClock(), start = clock.now
        both(count)
        return 2 * Double(256 * 256 * 256) * Double(count) * (pair == nil ? 1 : 2) / (clock.now - start).seconds / 1e9
    }
}

/// Square products `C = A·Bᵀ` on buffers of their own per lane, `task` times over (the peak measurement):
/// sgemms, or bfloat16 products (operands already rounded) for ``MatrixPrecision/bfloat16``.
private final class RepeatedProducts: PairedWork, @unchecked Sendable {
    let size: Int
    let buffers: [UnsafeMutableBufferPointer<Float>]
    let rounded: [UnsafeMutableBufferPointer<UInt16>]
    let bfloat16: [BFloat16Product]

    init(size: Int, precision: MatrixPrecision) throws {
        self.size = size
        buffers = (0..<6).map { _ in UnsafeMutableBufferPointer<Float>.allocateZeroed(size * size) }
        for buffer in buffers { for i in 0..<(size * size) { buffer[i] = Float(i % 7) * 0.1 } }
        // 0x3dcd is bfloat16's 0.1.
        rounded = (0..<4).map { _ in
            let buffer = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: size * size)
            buffer.initialize(repeating: 0x3dcd)
            return buffer
        }
        bfloat16 =
            precision == .bfloat16
            ? try (0..<2).map { _ in try BFloat16Product(m: size, n: size, k: size) } : []
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        for buffer in rounded { buffer.deallocate() }
    }

    func perform(_ repetitions: Int, lane: Int) {
        let (a, b, c) = (buffers[3 * lane], buffers[3 * lane + 1], buffers[3 * lane + 2])
        for _ in 0..<repetitions {
            if bfloat16.isEmpty {
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: size, n: size, k: size, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
            } else {
                bfloat16[lane].run(a: rounded[2 * lane].baseAddress!, b: rounded[2 * lane + 1].baseAddress!, c: c.baseAddress!)
            }
        }
    }
}
