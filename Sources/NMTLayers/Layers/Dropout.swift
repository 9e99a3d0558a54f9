// Inverted dropout, in place, with a mask drawn from the caller's seeded generator.
//
// Forward (training, p > 0): mask[i] = 0 with probability p, else 1/(1-p); x *= mask.
// The mask is stored row-major contiguous, (x.rows, x.cols) in the first x.count floats of
// `mask` (which may be larger). Backward: dX *= mask. When not training or p == 0 both are
// the identity and neither touches the mask nor the generator.
//
// The mask stream (MaskStream): each 64-bit output gives two 32-bit uniforms compared with a
// 32-bit threshold. Same generator state → same mask.

import NMTTensor

public struct Dropout {
    public var p: Float

    public init(p: Float) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        self.p = p
    }

    public func forward(_ x: MatrixRef, mask: Tensor, rng: inout RNG, training: Bool) {
        guard training && p > 0 else { return }
        precondition(mask.count >= x.count, "Dropout: mask of \(mask.count) for (\(x.rows), \(x.cols))")
        let threshold = MaskStream.threshold(p)   // drop when u32 < threshold
        let keep = 1 / (1 - p)
        let m = mask.ptr
        let n = x.count
        var stream = MaskStream(&rng)
        var i = 0
        while i + 2 <= n {
            let r = stream.next()
            m[i] = (r >> 32) < threshold ? 0 : keep
            m[i + 1] = (r & 0xFFFF_FFFF) < threshold ? 0 : keep
            i += 2
        }
        if i < n { m[i] = (stream.next() >> 32) < threshold ? 0 : keep }
        multiplyByMask(x, m)
    }

    public func backward(_ dX: MatrixRef, mask: Tensor, training: Bool) {
        guard training && p > 0 else { return }
        precondition(mask.count >= dX.count, "Dropout: mask of \(mask.count) for (\(dX.rows), \(dX.cols))")
        multiplyByMask(dX, mask.ptr)
    }

    private func multiplyByMask(_ x: MatrixRef, _ m: UnsafeMutablePointer<Float>) {
        for r in 0..<x.rows { multiplyInPlace(x.row(r), m + r * x.cols, count: x.cols) }
    }
}
