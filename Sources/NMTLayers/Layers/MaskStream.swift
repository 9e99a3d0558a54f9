// The random stream dropout masks are drawn from: one 64-bit draw from the caller's generator
// seeds a local splitmix64 stream, inlined here (RNG.next() is a cross-module call, too slow
// for one call per element). Same generator state → same stream.

import NMTTensor

struct MaskStream {
    private var state: UInt64

    init(_ rng: inout RNG) { state = rng.next() }

    /// The stream's next 64-bit output.
    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The threshold a 32-bit uniform is compared with: below it (probability p), drop.
    static func threshold(_ p: Float) -> UInt64 { UInt64((Double(p) * 4_294_967_296.0).rounded()) }
}
