import Testing
import SACNeuralNetworks
import SACRandomness

@Suite struct MatrixTests {
    private func random(_ rows: Int, _ columns: Int, _ generator: inout Xoshiro256StarStar) -> Matrix {
        try! Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(generator.nextUniform(in: -1, 1)) })
    }

    private func naive(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> [Double] {
        let m = ta ? a.columns : a.rows, k = ta ? a.rows : a.columns, n = tb ? b.rows : b.columns
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    c[i * n + j] += Double(ta ? a[p, i] : a[i, p]) * Double(tb ? b[j, p] : b[p, j])
                }
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func productMatchesNaiveForEveryTransposeFlag(transposeA: Bool, transposeB: Bool) throws {
        var generator = Xoshiro256StarStar(seed: 3)
        let (m, k, n) = (5, 7, 3)
        let a = transposeA ? random(k, m, &generator) : random(m, k, &generator)
        let b = transposeB ? random(n, k, &generator) : random(k, n, &generator)
        var c = Matrix(rows: m, columns: n, repeating: 1)
        try BLAS.multiply(a, transposed: transposeA, b, transposed: transposeB, into: &c, alpha: 2, beta: 0.5)
        for (got, want) in zip(c.storage, naive(a, transposeA, b, transposeB)) {
            #expect(abs(Double(got) - (2 * want + 0.5)) < 1e-5)
        }
    }

    @Test func mismatchedShapesThrowInsteadOfReadingOutOfBounds() {
        var c = Matrix(rows: 2, columns: 2)
        #expect(throws: NetworkError.self) { try BLAS.multiply(Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 2), into: &c) }
        #expect(throws: NetworkError.self) { try BLAS.multiply(Matrix(rows: 2, columns: 3), Matrix(rows: 3, columns: 3), into: &c) }
        #expect(throws: NetworkError.self) { try Matrix(rows: 2, columns: 2, values: [1, 2, 3]) }
        var m = Matrix(rows: 2, columns: 2)
        #expect(throws: NetworkError.self) { try m.setRow(0, to: [1]) }
        #expect(throws: NetworkError.self) { try m.setRow(2, to: [1, 2]) }
    }

    @Test func rowMajorLayout() throws {
        var m = try Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(m[1, 0] == 4 && m[0, 2] == 3)
        try m.setRow(1, to: [7, 8, 9])
        #expect(m.row(1) == [7, 8, 9] && m.storage == [1, 2, 3, 7, 8, 9])
    }

    @Test func threadCountCanBeSet() {
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
    }
}
