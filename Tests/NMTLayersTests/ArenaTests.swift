import Foundation
import NMTLayers
import NMTTensor
import NMTTestSupport
import Testing

@Suite struct ArenaTests {
    func makeArena(seed: UInt64) -> (ParameterArena, Param, Param, Param) {
        let arena = ParameterArena()
        let a = arena.register("a.weight", shape: [4, 3], initializer: .uniform(0.5))
        let b = arena.register("a.bias", shape: [4], initializer: .constant(1))
        let r = arena.register("rec.W_hh", shape: [6, 3], initializer: .orthogonal(blockRows: 3))
        arena.allocate(seed: seed)
        return (arena, a, b, r)
    }

    @Test func registrationLaysParametersOutInOrder() {
        let (arena, a, b, r) = makeArena(seed: 1)
        #expect(a.offset == 0 && b.offset == 12 && r.offset == 16)
        #expect(arena.count == 12 + 4 + 18)
        #expect(b.shape == [4] && b.rows == 1 && b.cols == 4)
        #expect(arena.param(named: "rec.W_hh") == r)
        #expect(arena.value(b).array == [1, 1, 1, 1])
        let w = arena.value(a).array
        #expect(w.allSatisfy { abs($0) <= 0.5 } && Set(w).count == 12)
    }

    @Test func orthogonalBlocksAreOrthonormal() {
        let (arena, _, _, r) = makeArena(seed: 3)
        let m = arena.value(r)
        for block in 0..<2 {
            let q = m.rows(block * 3 ..< block * 3 + 3)
            for i in 0..<3 {
                for j in 0..<3 {
                    var s: Float = 0
                    for k in 0..<3 { s += q[i, k] * q[j, k] }
                    #expect(abs(s - (i == j ? 1 : 0)) < 1e-5, "block \(block) rows \(i),\(j): \(s)")
                }
            }
        }
    }

    @Test func sameSeedSameValuesOtherSeedOtherValues() {
        let (x, _, _, _) = makeArena(seed: 42)
        let (y, _, _, _) = makeArena(seed: 42)
        let (z, _, _, _) = makeArena(seed: 43)
        let xs = Array(UnsafeBufferPointer(start: x.values, count: x.count))
        #expect(xs == Array(UnsafeBufferPointer(start: y.values, count: y.count)))
        #expect(xs != Array(UnsafeBufferPointer(start: z.values, count: z.count)))
    }

    @Test func clippingScalesToTheGlobalNorm() {
        let (arena, a, b, _) = makeArena(seed: 1)
        arena.grad(a).fill(1)   // 12 ones
        arena.grad(b).fill(2)   // 4 twos: norm² = 12 + 16 = 28
        let before = arena.clipGradNorm(1.0)
        #expect(abs(before - 28.0.squareRoot()) < 1e-6)
        #expect(abs(arena.gradNorm() - 1.0) < 1e-5)
        arena.zeroGrads()
        #expect(arena.gradNorm() == 0)
        #expect(arena.gradsAreFinite())
        arena.grads[3] = .nan
        #expect(!arena.gradsAreFinite())
    }

    @Test func safetensorsRoundTripIsBitExact() throws {
        let (arena, _, _, _) = makeArena(seed: 9)
        arena.values[5] = -0.0
        arena.values[6] = .leastNonzeroMagnitude
        let bytes = Safetensors.encode(arena, metadata: ["format": "pt", "note": "quote \" and tab\t"])
        let (tensors, meta) = try Safetensors.decode(bytes)
        #expect(meta["note"] == "quote \" and tab\t")
        #expect(tensors["a.bias"]?.shape == [4] && tensors["a.weight"]?.shape == [4, 3])
        let (other, _, _, _) = makeArena(seed: 10)
        try Safetensors.load(tensors, into: other)
        for i in 0..<arena.count { #expect(arena.values[i].bitPattern == other.values[i].bitPattern) }
        // The header length is a multiple of 8 and the data follows it.
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0 && bytes.count == 8 + n + arena.count * 4)
    }

    @Test func safetensorsRejectsDamagedFiles() throws {
        let (arena, _, _, _) = makeArena(seed: 9)
        let bytes = Safetensors.encode(arena)
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(Array(bytes.prefix(5))) }
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(Array(bytes.prefix(40))) }
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(Array(bytes.dropLast(4))) }
        var corrupt = bytes
        corrupt[9] = UInt8(ascii: "#")
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(corrupt) }
        // A model with another shape refuses the tensors and is left unchanged.
        let small = ParameterArena()
        _ = small.register("a.weight", shape: [3, 3], initializer: .constant(7))
        small.allocate(seed: 0)
        let (tensors, _) = try Safetensors.decode(bytes)
        #expect(throws: SafetensorsError.shapeMismatch(name: "a.weight", expected: [3, 3], found: [4, 3])) {
            try Safetensors.load(tensors, into: small)
        }
        #expect(small.values[0] == 7)
        let missing = ParameterArena()
        _ = missing.register("nope", shape: [1], initializer: .zeros)
        missing.allocate(seed: 0)
        #expect(throws: SafetensorsError.missingTensor("nope")) { try Safetensors.load(tensors, into: missing) }
        // A file with more tensors than the model (another model's weights) is refused too,
        // naming the first one the model lacks.
        let fewer = ParameterArena()
        _ = fewer.register("a.weight", shape: [4, 3], initializer: .constant(7))
        fewer.allocate(seed: 0)
        #expect(throws: SafetensorsError.unexpectedTensor("a.bias")) { try Safetensors.load(tensors, into: fewer) }
        #expect(fewer.values[0] == 7)
    }
}
