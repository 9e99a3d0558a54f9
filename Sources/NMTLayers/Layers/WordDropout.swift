// Word dropout: whole rows (one token's embedding) dropped at once, in place, inverted.
//
// Forward (training, p > 0): for each row r, mask[r] = 0 with probability p, else 1/(1-p);
// row r of x *= mask[r]. A dropped token reaches the network as a zero vector, so the model
// learns not to lean on any one word (Gal & Ghahramani 2016; Sennrich et al. 2016's WMT
// systems; Marian's --dropout-src/--dropout-trg). The mask holds one float per row, in the
// first x.rows floats of `mask`. Backward: row r of dX *= mask[r]. When not training or
// p == 0 both are the identity and neither touches the mask nor the generator, so a model
// without word dropout draws exactly the random numbers it drew before the option existed.
//
// The mask stream (MaskStream, as Dropout's): one 64-bit output per row, its high 32 bits
// against a 32-bit threshold.

import NMTTensor

public struct WordDropout {
    public var p: Float

    public init(p: Float) {
        precondition(p >= 0 && p < 1, "word dropout probability \(p) outside [0, 1)")
        self.p = p
    }

    public func forward(_ x: MatrixRef, mask: Tensor, rng: inout RNG, training: Bool) {
        guard training && p > 0 else { return }
        precondition(mask.count >= x.rows, "WordDropout: mask of \(mask.count) for \(x.rows) rows")
        let threshold = MaskStream.threshold(p)   // drop when u32 < threshold
        let keep = 1 / (1 - p)
        var stream = MaskStream(&rng)
        for r in 0..<x.rows { mask.ptr[r] = (stream.next() >> 32) < threshold ? 0 : keep }
        multiplyRows(x, mask.ptr)
    }

    public func backward(_ dX: MatrixRef, mask: Tensor, training: Bool) {
        guard training && p > 0 else { return }
        precondition(mask.count >= dX.rows, "WordDropout: mask of \(mask.count) for \(dX.rows) rows")
        multiplyRows(dX, mask.ptr)
    }

    private func multiplyRows(_ x: MatrixRef, _ m: UnsafeMutablePointer<Float>) {
        for r in 0..<x.rows {
            if m[r] == 0 {
                x.row(r).update(repeating: 0, count: x.cols)
            } else {
                scale(x.row(r), count: x.cols, by: m[r])
            }
        }
    }
}
