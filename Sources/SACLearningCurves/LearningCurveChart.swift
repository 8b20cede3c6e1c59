import Foundation

/// Draws learning curves as a standalone SVG: return against environment steps, with labelled axes.
///
/// One run: its training-episode returns (thin line) and evaluation returns (thick line with markers).
/// Several runs: runs with the same group name (e.g. seeds of one variant) are combined into the mean
/// evaluation curve with a band from the lowest to the highest run, plus each run's faint line.
public struct LearningCurveChart {
    /// Chart title.
    public var title: String
    /// Pixel size.
    public var width = 860.0, height = 520.0

    public init(title: String) { self.title = title }

    private let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
    private let margin = (left: 84.0, top: 48.0, bottom: 64.0)

    /// The chart of one run.
    public func render(run: RunMetrics) throws(LearningCurveError) -> String {
        guard !(run.episodes.isEmpty && run.evaluations.isEmpty) else { throw .empty }
        let all = run.episodes + run.evaluations
        var frame = Frame(points: all, chart: self, legendLabels: ["deterministic evaluation (mean)"])
        var body = frame.axes()
        if !run.episodes.isEmpty {
            body += frame.polyline(run.episodes, color: "#9ecae1", width: 1.2)
        }
        if !run.evaluations.isEmpty {
            body += frame.polyline(run.evaluations, color: palette[0], width: 2.6)
            body += run.evaluations.map { frame.marker($0, color: palette[0]) }.joined()
        }
        body += frame.legend([("training episodes", "#9ecae1", 1.2), ("deterministic evaluation (mean)", palette[0], 2.6)])
        frame.title = title
        return frame.document(body)
    }

    /// The chart of several runs, grouped by `group(run)`: mean evaluation curve and min–max band per group.
    public func render(runs: [RunMetrics], group: (RunMetrics) -> String) throws(LearningCurveError) -> String {
        let points = runs.flatMap { $0.evaluations.isEmpty ? $0.episodes : $0.evaluations }
        guard !points.isEmpty else { throw .empty }
        let groups = Dictionary(grouping: runs, by: group).sorted { $0.key < $1.key }
        let labels = groups.map { "\($0.key) (\($0.value.count) runs)" }
        var frame = Frame(points: points, chart: self, legendLabels: labels)
        var body = frame.axes()
        var legend: [(String, String, Double)] = []
        for (index, (name, members)) in groups.enumerated() {
            let color = palette[index % palette.count]
            let curves = members.map { $0.evaluations.isEmpty ? $0.episodes : $0.evaluations }.filter { !$0.isEmpty }
            let steps = Array(Set(curves.flatMap { $0.map(\.step) })).sorted()
            var mean: [RunMetrics.Point] = [], low: [RunMetrics.Point] = [], high: [RunMetrics.Point] = []
            for step in steps {
                let values = curves.compactMap { curve in curve.last { $0.step <= step }?.value }
                guard !values.isEmpty else { continue }
                mean.append(.init(step: step, value: values.reduce(0, +) / Double(values.count)))
                low.append(.init(step: step, value: values.min()!))
                high.append(.init(step: step, value: values.max()!))
            }
            if curves.count > 1 { body += frame.band(low: low, high: high, color: color) }
            for curve in curves where curves.count > 1 { body += frame.polyline(curve, color: color, width: 0.8, opacity: 0.35) }
            body += frame.polyline(mean, color: color, width: 2.6)
            legend.append(("\(name) (\(curves.count) run\(curves.count == 1 ? "" : "s"))", color, 2.6))
        }
        body += frame.legend(legend)
        frame.title = title
        return frame.document(body)
    }

    /// Maps data to pixels and writes SVG elements.
    struct Frame {
        let chart: LearningCurveChart
        let xMax: Double
        let yMin: Double, yMax: Double
        let xTicks: [Double], yTicks: [Double]
        var title = ""
        /// Room on the right for the legend, from its longest label (about 6.6 px per character at 12 px).
        let rightMargin: Double

        init(points: [RunMetrics.Point], chart: LearningCurveChart, legendLabels: [String]) {
            self.chart = chart
            rightMargin = max(180, 60 + 6.6 * Double(legendLabels.map(\.count).max() ?? 0))
            let values = points.map(\.value)
            let (lo, hi) = (values.min() ?? 0, values.max() ?? 1)
            let pad = max((hi - lo) * 0.05, 1e-9)
            yTicks = Frame.niceTicks(lo - pad, hi + pad)
            yMin = min(yTicks.first ?? lo, lo - pad)
            yMax = max(yTicks.last ?? hi, hi + pad)
            xTicks = Frame.niceTicks(0, Double(max(points.map(\.step).max() ?? 1, 1)))
            xMax = max(xTicks.last ?? 1, Double(points.map(\.step).max() ?? 1))
        }

        var plotWidth: Double { chart.width - chart.margin.left - rightMargin }
        var plotHeight: Double { chart.height - chart.margin.top - chart.margin.bottom }
        func x(_ step: Double) -> Double { chart.margin.left + step / xMax * plotWidth }
        func y(_ value: Double) -> Double { chart.margin.top + (1 - (value - yMin) / (yMax - yMin)) * plotHeight }

        func axes() -> String {
            var svg = ""
            for tick in yTicks {
                svg += line(chart.margin.left, y(tick), chart.margin.left + plotWidth, y(tick), "#e5e5e5")
                svg += text(Frame.format(tick), chart.margin.left - 8, y(tick) + 4, anchor: "end")
            }
            for tick in xTicks {
                svg += line(x(tick), chart.margin.top + plotHeight, x(tick), chart.margin.top + plotHeight + 5, "#333")
                svg += text(Frame.format(tick), x(tick), chart.margin.top + plotHeight + 20, anchor: "middle")
            }
            svg +=
                "<rect x=\"\(chart.margin.left)\" y=\"\(chart.margin.top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
            svg += text("environment steps", chart.margin.left + plotWidth / 2, chart.height - 18, anchor: "middle", size: 14)
            svg +=
                "<text x=\"22\" y=\"\(chart.margin.top + plotHeight / 2)\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 22 \(chart.margin.top + plotHeight / 2))\">return per episode (sum of rewards)</text>\n"
            return svg
        }

        func polyline(_ points: [RunMetrics.Point], color: String, width: Double, opacity: Double = 1) -> String {
            let coordinates = points.map { "\(f(x(Double($0.step)))),\(f(y($0.value)))" }.joined(separator: " ")
            return
                "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\" stroke-opacity=\"\(opacity)\" stroke-linejoin=\"round\"/>\n"
        }

        func band(low: [RunMetrics.Point], high: [RunMetrics.Point], color: String) -> String {
            let upper = high.map { "\(f(x(Double($0.step)))),\(f(y($0.value)))" }
            let lower = low.reversed().map { "\(f(x(Double($0.step)))),\(f(y($0.value)))" }
            return
                "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
        }

        func marker(_ point: RunMetrics.Point, color: String) -> String {
            "<circle cx=\"\(f(x(Double(point.step))))\" cy=\"\(f(y(point.value)))\" r=\"3.5\" fill=\"\(color)\"/>\n"
        }

        func legend(_ entries: [(String, String, Double)]) -> String {
            var svg = ""
            let left = chart.margin.left + plotWidth + 14
            for (index, (label, color, width)) in entries.enumerated() {
                let top = chart.margin.top + 10 + Double(index) * 22
                svg += line(left, top, left + 24, top, color, width: width)
                svg += text(Frame.escape(label), left + 30, top + 4, anchor: "start", size: 12)
            }
            return svg
        }

        func document(_ body: String) -> String {
            """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(chart.width))" height="\(Int(chart.height))" viewBox="0 0 \(Int(chart.width)) \(Int(chart.height))" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(chart.margin.left)" y="28" font-size="\(title.count > 70 ? 13 : 16)" font-weight="bold">\(Frame.escape(title))</text>
            \(body)</svg>

            """
        }

        private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, width: Double = 1) -> String {
            "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\"/>\n"
        }

        private func text(_ content: String, _ x: Double, _ y: Double, anchor: String, size: Int = 11) -> String {
            "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\">\(content)</text>\n"
        }

        /// A coordinate with one decimal.
        private func f(_ value: Double) -> String { String(format: "%.1f", value) }

        static func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
                of: ">", with: "&gt;")
        }

        /// Ticks at 1, 2 or 5 × 10ⁿ spacing covering [low, high], about six of them.
        static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
            let span = max(high - low, 1e-9)
            let raw = span / 6
            let magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
            let first = floor(low / step) * step
            return stride(from: first, through: high + step * 0.999, by: step).map { $0 }
        }

        static func format(_ value: Double) -> String {
            if abs(value) >= 1000 { return String(format: "%gk", value / 1000) }
            return value == value.rounded() ? "\(Int(value))" : String(format: "%.2g", value)
        }
    }
}
