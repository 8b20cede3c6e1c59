extension Duration {
    /// The duration in seconds as a `Double` (for the package's timings; not public API).
    package var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
