#if canImport(Glibc)
    import Glibc
#endif

/// When a server should look for the next request without blocking before it sleeps in a receive.
///
/// A thread that blocks gives up its core, and waking it when the next request arrives can cost more than
/// the whole reply (on a virtual machine an idle core halts). A server whose client came back quickly last
/// time checks for the next request for up to ``windowMicroseconds`` first
/// (`ZeroMQSocket.receiveMultipart(spinMicroseconds:)`); after a slow client (one that computes between
/// requests for longer than five windows) it blocks at once, so it never burns a core waiting for it.
/// The gap is judged generously (five windows) because, measured after a blocking receive, it includes
/// this thread's own wake-up.
public struct AdaptiveSpin: Sendable {
    /// The longest check before blocking, microseconds; 0 always blocks at once.
    public let windowMicroseconds: Int
    private var spinning = false
    private var repliedAt = 0.0

    /// A policy checking for up to `windowMicroseconds` (negative counts as 0).
    public init(windowMicroseconds: Int) {
        self.windowMicroseconds = max(0, windowMicroseconds)
    }

    /// Microseconds the next receive should check before blocking.
    public var nextSpinMicroseconds: Int { spinning ? windowMicroseconds : 0 }

    /// Call when a request arrived: judges how quickly the client came back.
    public mutating func requestArrived() {
        spinning = windowMicroseconds > 0 && Self.now() - repliedAt < 5e-6 * Double(windowMicroseconds)
    }

    /// Call when a receive timed out with nothing: the client is not in a loop.
    public mutating func receiveTimedOut() {
        spinning = false
    }

    /// Call when the reply has been sent.
    public mutating func replied() {
        if windowMicroseconds > 0 { repliedAt = Self.now() }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
