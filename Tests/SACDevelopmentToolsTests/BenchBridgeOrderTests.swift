import Testing
@testable import SACDevelopmentTools

@Suite struct BenchBridgeOrderTests {
    /// `sac-dev bench bridge` times its targets in these orders, round after round: every target must take
    /// every place, and follow every other target, equally often, or a target that runs faster after
    /// another would tilt the ratios.
    @Test(arguments: 1...9)
    func everyTargetTakesEveryPlaceAndFollowsEveryOtherEquallyOften(count: Int) {
        let orders = BenchBridgeCommand.balancedOrders(count)
        for order in orders { #expect(order.sorted() == Array(0..<count), "\(order) is not an order of \(count) targets") }
        var places = [[Int]](repeating: [Int](repeating: 0, count: count), count: count)
        var follows = [[Int]](repeating: [Int](repeating: 0, count: count), count: count)
        for order in orders {
            for (place, target) in order.enumerated() { places[target][place] += 1 }
            for (before, after) in zip(order, order.dropFirst()) { follows[after][before] += 1 }
        }
        #expect(Set(places.joined()).count == 1, "places \(places)")
        let pairs = (0..<count).flatMap { a in (0..<count).filter { $0 != a }.map { follows[a][$0] } }
        #expect(Set(pairs).count <= 1, "follows \(follows)")
        #expect(pairs.allSatisfy { $0 > 0 })
        #expect(orders.count == (count % 2 == 0 || count == 1 ? count : 2 * count))
    }
}
