/// Central finite differences `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` of a scalar function of a float vector,
/// in Double. For the piecewise-linear networks tested here the losses are quadratic in any one parameter
/// between ReLU kinks, so the central difference is exact up to float32 rounding of the forward pass; the
/// step must be small enough that no pre-activation of the fixture crosses zero (1e-3 is, for most).
package func finiteDifferenceGradient<Value: BinaryFloatingPoint>(
    at point: [Float], step h: Float = 1e-3,
    _ f: ([Float]) -> Value
) -> [Double] {
    var x = point
    return (0..<point.count).map { i in
        let original = x[i]
        x[i] = original + h
        let plus = Double(f(x))
        x[i] = original - h
        let minus = Double(f(x))
        x[i] = original
        return (plus - minus) / Double(2 * h)
    }
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, tiny): the relative error of a whole gradient, insensitive to which single
/// element happens to be near zero.
package func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    let norm = max(a.map { $0 * $0 }.reduce(0, +).squareRoot(), b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
    return diff / norm
}
