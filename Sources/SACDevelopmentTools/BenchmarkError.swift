/// Why a benchmark cannot run: what is missing and how to get it.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
