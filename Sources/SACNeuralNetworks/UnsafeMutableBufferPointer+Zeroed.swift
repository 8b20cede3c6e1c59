extension UnsafeMutableBufferPointer where Element == Float {
    /// A new buffer of `count` zeros (at least one element, so `baseAddress` is never nil). The caller
    /// owns it and deallocates it; workspaces and batches allocate all theirs once, up front.
    package static func allocateZeroed(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(1, count))
        buffer.initialize(repeating: 0)
        return buffer
    }
}
