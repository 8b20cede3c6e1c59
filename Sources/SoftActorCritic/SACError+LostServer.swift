extension SACError {
    /// A server a run dropped: where it was and how long it was tried.
    public struct LostServer: Equatable, Sendable {
        /// The server's address.
        public var address: String
        /// Reconnection attempts made.
        public var attempts: Int
        /// Seconds from losing it to giving up.
        public var waitedSeconds: Double
        /// The last attempt's error.
        public var lastError: String

        public init(address: String, attempts: Int, waitedSeconds: Double, lastError: String) {
            self.address = address
            self.attempts = attempts
            self.waitedSeconds = waitedSeconds
            self.lastError = lastError
        }
    }
}
