import NMTLayers

/// A model's weights as bit patterns, for the bit-for-bit resume comparisons.
func weightBits(_ arena: ParameterArena) -> [UInt32] {
    Array(UnsafeBufferPointer(start: arena.values, count: arena.count)).map(\.bitPattern)
}
