import Testing
import SACBridgeProtocol

@Suite struct TensorTests {
    @Test func float32AndFloat64RoundTripExactlyAndKeepInfinities() throws {
        let f = Tensor(float32: [1.5, -.infinity, 3], shape: [3])
        #expect(f.floats() == [1.5, -.infinity, 3] && f.bytes.count == 12)
        let d = Tensor(float64: [0.1, .infinity], shape: [2, 1])
        #expect(d.doubles() == [0.1, .infinity] && d.count == 2)
        #expect(d.floats() == [Float(0.1), .infinity]) // rounding only when asked
    }

    @Test func byteCountMustMatchShape() {
        #expect(throws: BridgeError.self) { try Tensor(dtype: .float32, shape: [2], bytes: [0, 0, 0, 0]) }
        #expect(throws: BridgeError.self) { try Tensor(dtype: .float64, shape: [-1], bytes: []) }
        #expect(throws: BridgeError.self) { try Tensor(dtype: .float32, shape: [1 << 31, 1 << 31], bytes: []) }
    }

    @Test func rowsAndStacking() throws {
        let t = Tensor(float32: [1, 2, 3, 4, 5, 6], shape: [3, 2])
        #expect(t.row(1).floats() == [3, 4] && t.row(1).shape == [2])
        let stacked = try Tensor.stack([t.row(0), t.row(2)])
        #expect(stacked.shape == [2, 2] && stacked.floats() == [1, 2, 5, 6])
    }
}
