import SACNeuralNetworks
import SACRandomness

/// Saving and restoring everything an agent's future depends on: parameters of every network, optimiser
/// moments and step counts, the temperature, the generator and the update count.
extension SACAgent {
    func write(to writer: inout BinaryWriter) {
        writer.write(floats: actor.network.parameters)
        for network in critics { writer.write(floats: network.parameters) }
        writer.write(UInt32(targetCritics.count))
        for network in targetCritics { writer.write(floats: network.parameters) }
        writer.write(floats: value?.parameters ?? [])
        writer.write(floats: targetValue?.parameters ?? [])
        writer.write(floats: temperatureParameter)
        for optimizer in [actorOptimizer] + criticOptimizers + [valueNetwork?.optimizer ?? Adam(parameterCount: 0), temperatureOptimizer] {
            optimizer.write(to: &writer)
        }
        for word in [generator.state.0, generator.state.1, generator.state.2, generator.state.3] { writer.write(word) }
        writer.write(UInt64(updateCount))
    }

    func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        func read(into parameters: inout [Float], _ name: String) throws(BinaryFormatError) {
            let values = try reader.readFloats()
            guard values.count == parameters.count else {
                throw .invalidField(name: name, detail: "\(values.count) parameters, this agent has \(parameters.count)")
            }
            parameters = values
        }
        try read(into: &actor.network.parameters, "actor")
        for k in critics.indices { try read(into: &critics[k].parameters, "critic \(k + 1)") }
        let targets = Int(try reader.read(UInt32.self))
        guard targets == targetCritics.count else { throw .invalidField(name: "target critics", detail: "\(targets) stored, \(targetCritics.count) expected") }
        for k in targetCritics.indices { try read(into: &targetCritics[k].parameters, "target critic \(k + 1)") }
        var valueParameters = valueNetwork?.network.parameters ?? []
        try read(into: &valueParameters, "value network")
        valueNetwork?.network.parameters = valueParameters
        var targetValueParameters = valueNetwork?.target.parameters ?? []
        try read(into: &targetValueParameters, "target value network")
        valueNetwork?.target.parameters = targetValueParameters
        try read(into: &temperatureParameter, "log alpha")
        try actorOptimizer.restore(from: &reader)
        for k in criticOptimizers.indices { try criticOptimizers[k].restore(from: &reader) }
        var valueAdam = valueNetwork?.optimizer ?? Adam(parameterCount: 0)
        try valueAdam.restore(from: &reader)
        valueNetwork?.optimizer = valueAdam
        try temperatureOptimizer.restore(from: &reader)
        generator.state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
        updateCount = Int(try reader.read(UInt64.self))
    }
}

extension Adam {
    func write(to writer: inout BinaryWriter) {
        writer.write(UInt64(stepCount))
        writer.write(floats: firstMoment)
        writer.write(floats: secondMoment)
    }

    mutating func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        let steps = try reader.read(UInt64.self)
        let m = try reader.readFloats(), v = try reader.readFloats()
        guard m.count == firstMoment.count, v.count == secondMoment.count else {
            throw .invalidField(name: "optimizer", detail: "moments for \(m.count) parameters, \(firstMoment.count) expected")
        }
        stepCount = Int(steps)
        firstMoment = m
        secondMoment = v
    }
}

extension ReplayBuffer {
    func write(to writer: inout BinaryWriter) {
        writer.write(UInt64(capacity))
        writer.write(UInt64(count))
        writer.write(UInt64(totalAdded))
        let o = observationCount, a = actionCount
        writer.write(floats: Array(UnsafeBufferPointer(start: observationStorage, count: count * o)))
        writer.write(floats: Array(UnsafeBufferPointer(start: actionStorage, count: count * a)))
        writer.write(floats: Array(UnsafeBufferPointer(start: rewardStorage, count: count)))
        writer.write(floats: Array(UnsafeBufferPointer(start: nextObservationStorage, count: count * o)))
        writer.write(floats: Array(UnsafeBufferPointer(start: terminatedStorage, count: count)))
    }

    func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        let storedCapacity = Int(try reader.read(UInt64.self)), stored = Int(try reader.read(UInt64.self))
        let added = Int(try reader.read(UInt64.self))
        guard storedCapacity == capacity, stored <= capacity, added >= stored else {
            throw .invalidField(name: "replay buffer", detail: "capacity \(storedCapacity) with \(stored) stored; this buffer has capacity \(capacity)")
        }
        let o = observationCount, a = actionCount
        let fields: [(UnsafeMutablePointer<Float>, Int, String)] = [
            (observationStorage, stored * o, "observations"), (actionStorage, stored * a, "actions"), (rewardStorage, stored, "rewards"),
            (nextObservationStorage, stored * o, "next observations"), (terminatedStorage, stored, "terminated flags"),
        ]
        for (pointer, expected, name) in fields {
            let values = try reader.readFloats()
            guard values.count == expected else { throw .invalidField(name: name, detail: "\(values.count) values, \(expected) expected") }
            values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: expected) }
        }
        count = stored
        totalAdded = added
    }
}
