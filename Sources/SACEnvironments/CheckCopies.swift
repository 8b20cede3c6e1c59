/// Throws ``EnvironmentError/cannotResetCopiesAlone(_:)`` unless `indices` are strictly increasing copies of `count`.
package func checkCopies(_ indices: [Int], of count: Int) throws(EnvironmentError) {
    for (k, index) in indices.enumerated() {
        guard (0..<count).contains(index), k == 0 || index > indices[k - 1] else {
            throw .cannotResetCopiesAlone("copies \(indices) must be strictly increasing indices below \(count)")
        }
    }
}
