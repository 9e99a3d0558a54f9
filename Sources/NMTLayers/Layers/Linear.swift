// Linear layer: y = x·Wᵀ + b (PyTorch layout: weight (out, in), bias (out)).
//
// Forward is one gemm (+ a bias broadcast); backward is two gemms (dW += dYᵀ·x, dX = dY·W)
// and a column sum (db += Σ_rows dY). Parameter gradients accumulate (`+=`); the input
// gradient is assigned unless `accumulateDX` is set (fan-out points).

import NMTTensor

public struct Linear {
    public let weight: Param          // (out, in)
    public let bias: Param?           // (out)
    public let input: Int
    public let output: Int

    /// Registers "\(name).weight" (out, in) and "\(name).bias" (out), both uniform ±1/sqrt(in)
    /// (PyTorch's nn.Linear default bound).
    public init(_ arena: ParameterArena, name: String, input: Int, output: Int, bias: Bool = true) {
        precondition(input > 0 && output > 0, "Linear \(name): sizes must be positive")
        self.input = input
        self.output = output
        let bound = 1 / Float(input).squareRoot()
        weight = arena.register("\(name).weight", shape: [output, input], initializer: .uniform(bound))
        self.bias = bias ? arena.register("\(name).bias", shape: [output], initializer: .uniform(bound)) : nil
    }

    /// A layer whose weight is another layer's parameter (weight tying, e.g. the output layer
    /// sharing the target embedding (V, E)); only "\(name).bias" is registered. Both layers'
    /// gradients accumulate into the shared parameter.
    public init(_ arena: ParameterArena, name: String, sharedWeight: Param) {
        input = sharedWeight.cols
        output = sharedWeight.rows
        weight = sharedWeight
        bias = arena.register("\(name).bias", shape: [output], initializer: .uniform(1 / Float(input).squareRoot()))
    }

    /// y (N, out) = x (N, in) · Wᵀ + b, or y += x·Wᵀ + b when `accumulate`.
    @inlinable
    public func forward(_ arena: ParameterArena, _ x: MatrixRef, into y: MatrixRef, accumulate: Bool = false) {
        precondition(y.cols == output, "Linear forward: y (\(y.rows), \(y.cols)), layer \(input) -> \(output)")
        forwardLeading(arena, x, into: y, accumulate: accumulate)
    }

    /// Only the first y.cols ≤ out outputs: y (N, n) = x · W[0..<n]ᵀ + b[0..<n] (a shortlist of
    /// the leading output units; y may be a view with a wider leading dimension).
    @inlinable
    public func forwardLeading(_ arena: ParameterArena, _ x: MatrixRef, into y: MatrixRef, accumulate: Bool = false) {
        precondition(x.cols == input && y.cols <= output && y.rows == x.rows,
                     "Linear forward: x (\(x.rows), \(x.cols)) -> y (\(y.rows), \(y.cols)), layer \(input) -> \(output)")
        let w = arena.value(weight)
        gemm(x, MatrixRef(w.ptr, rows: y.cols, cols: w.cols, ld: w.ld), transB: true, into: y, beta: accumulate ? 1 : 0)
        if let bias { addRowVector(arena.value(bias).ptr, to: y) }
    }

    /// dW (out, in) += dYᵀ·x;  db (out) += Σ_rows dY;  dX (N, in) = dY·W  (or += when `accumulateDX`).
    @inlinable
    public func backward(_ arena: ParameterArena, x: MatrixRef, dY: MatrixRef, dX: MatrixRef?,
                         accumulateDX: Bool = false) {
        precondition(x.cols == input && dY.cols == output && dY.rows == x.rows,
                     "Linear backward: x (\(x.rows), \(x.cols)), dY (\(dY.rows), \(dY.cols)), layer \(input) -> \(output)")
        if x.rows == 0 { return }
        gemm(dY, transA: true, x, into: arena.grad(weight), beta: 1)
        if let bias { accumulateColumnSums(of: dY, into: arena.grad(bias).ptr) }
        if let dX {
            precondition(dX.rows == x.rows && dX.cols == input, "Linear backward: dX (\(dX.rows), \(dX.cols))")
            gemm(dY, arena.value(weight), into: dX, beta: accumulateDX ? 1 : 0)
        }
    }
}
