import Foundation
import Testing
import SACLearningCurves

@Suite struct LearningCurveChartTests {
    static let csv = """
        kind,step,episode_return,episode_length,eval_return_std,critic_loss,actor_loss,value_loss,alpha,entropy,updates_per_second
        episode,200,-1500.5,200.0,,,,,,,0.0
        episode,400,-1200.0,200.0,,1.0,2.0,,0.9,1.1,150.0
        eval,400,-900.25,200.0,120.0,1.0,2.0,,0.9,1.1,0.0
        episode,600,-300.0,200.0,,1.0,2.0,,0.5,0.2,150.0
        eval,800,-150.0,200.0,80.0,1.0,2.0,,0.3,0.1,0.0
        """

    @Test func parsesEpisodesAndEvaluations() throws {
        let run = try RunMetrics(csv: Self.csv, label: "a")
        #expect(run.episodes.map(\.step) == [200, 400, 600] && run.evaluations.map(\.value) == [-900.25, -150.0])
    }

    @Test func malformedMetricsAreTypedErrors() {
        #expect(throws: LearningCurveError.self) { try RunMetrics(csv: "nothing,useful\n1,2", label: "x") }
        #expect(throws: LearningCurveError.self) { try RunMetrics(csv: Self.csv + "\neval,notanumber,3", label: "x") }
        #expect(throws: LearningCurveError.self) { try RunMetrics(runDirectory: "/nonexistent") }
        #expect(throws: LearningCurveError.empty) {
            try LearningCurveChart(title: "t").render(run: RunMetrics(label: "e", episodes: [], evaluations: []))
        }
    }

    @Test func singleRunChartHasLabelledAxesAndBothCurves() throws {
        let svg = try LearningCurveChart(title: "Pendulum-v1 <twin-q>").render(run: RunMetrics(csv: Self.csv, label: "a"))
        #expect(svg.hasPrefix("<svg") && svg.contains("</svg>"))
        #expect(svg.contains("environment steps") && svg.contains("return per episode"))
        #expect(svg.contains("Pendulum-v1 &lt;twin-q&gt;"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
        // The x axis reaches the last step; the y axis covers the lowest return.
        #expect(svg.contains(">800<") || svg.contains(">1k<"))
    }

    @Test func severalRunsAreGroupedWithAMeanAndABand() throws {
        let a = try RunMetrics(csv: Self.csv, label: "twin-q-seed1")
        var b = a
        b.label = "twin-q-seed2"
        b.evaluations = b.evaluations.map { .init(step: $0.step, value: $0.value - 100) }
        var c = a
        c.label = "value-network-seed1"
        let svg = try LearningCurveChart(title: "t").render(runs: [a, b, c]) { String($0.label.split(separator: "-seed")[0]) }
        #expect(svg.contains("twin-q (2 runs)") && svg.contains("value-network (1 run)"))
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 1) // a band only where there are several runs
    }
}
