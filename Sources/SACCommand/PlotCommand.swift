import ArgumentParser
import Foundation
import SACLearningCurves

/// `sac plot`: overlays the learning curves of several runs.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract:
            "Plot the learning curve of one run directory, or overlay several (seeds of one variant become a mean with a min–max band).")

    @Argument(help: "Run directories written by 'sac train'.")
    var runDirs: [String]

    @Option(help: "SVG file to write.")
    var output: String = "learning-curves.svg"

    @Option(help: "Chart title (default: the environments' ids).")
    var title: String?

    func validate() throws {
        guard !runDirs.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        let runs = try runDirs.map { directory in try RunMetrics(runDirectory: directory, label: Self.group(of: directory)) }
        let environments = Set(runDirs.compactMap { Self.summary(of: $0)?["env"] as? String }).sorted()
        let chart = LearningCurveChart(
            title: title ?? "\(environments.joined(separator: ", ")): evaluation return, mean and range over runs")
        // One run: its own chart, training episodes included; several: means and bands per group.
        let svg = runs.count == 1 ? try chart.render(run: runs[0]) : try chart.render(runs: runs) { $0.label }
        do {
            try svg.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(output) (\(runs.count) runs)")
    }

    /// Runs of one variant on one environment in one precision form a group: read from summary.json, else
    /// the directory name without its "-seedN" suffix.
    static func group(of directory: String) -> String {
        if let summary = summary(of: directory), let env = summary["env"] as? String, let variant = summary["variant"] as? String {
            let precision = summary["precision"] as? String ?? "float32"
            return "\(env) \(variant)" + (precision == "float32" ? "" : " \(precision)")
        }
        let name = URL(fileURLWithPath: directory).lastPathComponent
        return name.range(of: "-seed[0-9]+", options: .regularExpression).map { String(name[..<$0.lowerBound]) } ?? name
    }

    static func summary(of directory: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: directory + "/summary.json") else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
