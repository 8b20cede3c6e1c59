/// A failure the command reports as it is, in the command line's own terms (its flags, the command that
/// continues a run).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
