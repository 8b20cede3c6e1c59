import SACNeuralNetworks

/// Work whose tasks split into two independent lanes (lane k works on Q network k, and so on), run by a
/// ``LaneScheduler``. `task` is the conformer's own numbering.
protocol LaneWork: AnyObject {
    /// Does lane `lane` (0 or 1) of `task` on `batch` (`nil` for tasks that read none), reaching the Q
    /// networks, their optimisers and any targets through `buffers`. The two lanes touch distinct memory.
    func perform(_ task: Int, lane: Int, batch: ReplayBatch?, buffers: LaneBuffers)
}

/// The Q networks, their optimisers and targets as buffer pointers, taken once on the calling thread for
/// the duration of a ``LaneScheduler/run(_:task:batch:buffers:)``, so that the two lanes mutate distinct
/// elements without both accessing the arrays.
struct LaneBuffers {
    var critics = UnsafeMutableBufferPointer<MultilayerPerceptron>(start: nil, count: 0)
    var targets = UnsafeMutableBufferPointer<MultilayerPerceptron>(start: nil, count: 0)
    var optimizers = UnsafeMutableBufferPointer<Adam>(start: nil, count: 0)
}

/// The actor's parameters, gradients and Adam moments as pointers, taken once on the calling thread for
/// the two lanes of the actor's Adam step, with the step's scalars.
struct ActorStepBuffers {
    let coefficients: Adam.StepCoefficients
    let firstMoment: UnsafeMutablePointer<Float>
    let secondMoment: UnsafeMutablePointer<Float>
    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafePointer<Float>
    let count: Int

    /// Lane k's elements: the halves split on a multiple of eight, so both run whole SIMD blocks.
    func range(lane k: Int) -> Range<Int> {
        let half = (count / 16) * 8
        return k == 0 ? 0..<half : half..<count
    }
}

/// Runs both lanes of a task: at once on a `WorkerPair` (lane 1 on its worker thread) with two update
/// threads, one after the other with one. Allocates nothing: the work, the batch and the buffers are held
/// here for the duration of a call, and the pair is handed this object and a number, not a closure.
final class LaneScheduler: PairedWork {
    /// The worker thread, with two update threads; `nil` with one.
    let pair: WorkerPair?
    private unowned(unsafe) var work: (any LaneWork)?
    private var batch: ReplayBatch?
    private var buffers = LaneBuffers()

    init(threads: Int) {
        pair = threads >= 2 ? WorkerPair() : nil
    }

    /// Runs lanes 0 and 1 of `task` of `work` and returns when both are done.
    func run(_ work: any LaneWork, task: Int, batch: ReplayBatch?, buffers: LaneBuffers) {
        guard let pair else {
            work.perform(task, lane: 0, batch: batch, buffers: buffers)
            work.perform(task, lane: 1, batch: batch, buffers: buffers)
            return
        }
        self.work = work
        self.batch = batch
        self.buffers = buffers
        pair.run(self, task: task)
        self.work = nil
        self.batch = nil
        self.buffers = LaneBuffers()
    }

    func perform(_ task: Int, lane: Int) {
        work?.perform(task, lane: lane, batch: batch, buffers: buffers)
    }
}
