import Foundation
import NMTTensor
import Testing

/// The instruction-set level and engine selection (the products themselves: GemmTests, for every engine).
@Suite struct KernelPathTests {
    @Test func supportedLevelsAreOrderedAndIncludeGeneric() {
        let s = KernelPath.supported
        #expect(s.first == .generic)
        #expect(s == s.sorted())
        // AVX-512 code paths assume AVX2 as well.
        if s.contains(.avx512) { #expect(s.contains(.avx2)) }
    }

    @Test func environmentChoosesTheLevel() throws {
        #expect(try Kernels.resolvePath(nil) == KernelPath.supported.last)
        #expect(try Kernels.resolvePath("") == KernelPath.supported.last)
        #expect(try Kernels.resolvePath("generic") == .generic)
        let forced = ProcessInfo.processInfo.environment["NMT_KERNELS"]
        #expect(Kernels.path == (try Kernels.resolvePath(forced)))
    }

    @Test func unknownOrUnsupportedLevelsAreErrors() {
        #expect(throws: KernelSettingError.self) { try Kernels.resolvePath("avx1024") }
        do {
            _ = try Kernels.resolvePath("AVX2")
            Issue.record("a level is lower case")
        } catch {
            #expect("\(error)" == "NMT_KERNELS=AVX2 is not one of: generic, avx2, avx512")
        }
        for p in KernelPath.allCases where !p.isSupported {
            #expect(throws: KernelSettingError.self) { try Kernels.resolvePath(p.rawValue) }
        }
    }

    @Test func summaryNamesTheLevelAndTheEngines() {
        let s = Kernels.summary
        #expect(s.hasPrefix("kernels \(Kernels.path.rawValue) (gemm: "))
        #expect(s.contains("oneDNN ") && s.contains("OpenBLAS core "))
    }

    @Test func threadCountReachesBothEngines() {
        let before = BLASThreads.count
        BLASThreads.set(1)
        #expect(BLASThreads.count == 1)
        BLASThreads.set(before)
        #expect(BLASThreads.count == before)
    }
}

/// The engine policy by shape class (Kernels.engine), whatever level this process runs.
@Suite struct EnginePolicyTests {
    @Test func shapeClassesPickTheMeasuredEngine() {
        guard Kernels.forcedEngine == nil else { return }
        // One row follows the 2–32-row class (one engine per decode: docs/performance.md, session 8).
        #expect(Kernels.engine(m: 1, n: 1536, k: 512) == Kernels.engine(m: 5, n: 1536, k: 512))
        #expect(Kernels.engine(m: 1, n: 6326, k: 256) == (Kernels.path == .generic ? .openblas : .onednn))
        #expect(!Kernels.openBLASHasAVX512 || Kernels.openBLASHasAVX2)
        switch Kernels.path {
        case .generic:
            #expect(Kernels.engine(m: 5, n: 1536, k: 512) == .openblas)
            #expect(Kernels.engine(m: 896, n: 6326, k: 256) == .openblas)
        case .avx2:
            #expect(Kernels.engine(m: 5, n: 6326, k: 256) == .onednn)
            #expect(Kernels.engine(m: 896, n: 1024, k: 256) == .onednn)
            // Aᵀ·B to OpenBLAS only when it runs AVX2 kernels of its own (not its SSE3 fallback, Prescott)
            #expect(Kernels.engine(m: 1024, n: 256, k: 896, transA: true) == (Kernels.openBLASHasAVX2 ? .openblas : .onednn))
        case .avx512:
            #expect(Kernels.engine(m: 5, n: 6326, k: 256) == .onednn)
            #expect(Kernels.engine(m: 64, n: 1536, k: 512) == (Kernels.openBLASHasAVX512 ? .openblas : .onednn))
        }
    }
}
