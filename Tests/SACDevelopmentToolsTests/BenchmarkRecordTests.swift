import Foundation
import Testing
@testable import SACDevelopmentTools

@Suite struct BenchmarkRecordTests {
    /// Scripts read these lines with `json.loads`: valid JSON, keys sorted, figures rounded as the tables
    /// show them, and a figure that was not measured as null rather than an invalid `nan`.
    @Test func writesOneSortedJSONLineWithRoundedFiguresAndNullForNaN() throws {
        var record = BenchmarkRecord("updates")
        record.set("updates_per_second", 272.349, digits: 1)
        record.set("env", "pendulum")
        record.set("rounds", 5)
        record.set("sgemm_peak_gflops", .nan, digits: 1)
        #expect(record.line == #"{"bench":"updates","env":"pendulum","rounds":5,"sgemm_peak_gflops":null,"updates_per_second":272.3}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(record.line.utf8)) as? [String: Any]
        #expect(parsed?["updates_per_second"] as? Double == 272.3)
    }
}
