// Which code paths run on this CPU: the instruction-set level (cpuid, at run time, so one binary
// serves machines with and without AVX-512) and the matrix-product engine for each product.
//
// NMT_KERNELS=generic|avx2|avx512 forces a level (tests and benchmarks; a level the CPU lacks is
// an error); NMT_GEMM=openblas|onednn forces one engine for every product. Nothing here reads or
// sets OPENBLAS_*: OpenBLAS runs whatever kernel its environment gives it.

import CKernels

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An instruction-set level with code paths of its own.
public enum KernelPath: String, CaseIterable, Sendable, Comparable {
    case generic, avx2, avx512

    var isa: nmt_isa {
        switch self {
        case .generic: NMT_ISA_GENERIC
        case .avx2: NMT_ISA_AVX2
        case .avx512: NMT_ISA_AVX512
        }
    }

    /// Whether this CPU can run the level.
    public var isSupported: Bool { nmt_cpu_supports(isa) != 0 }

    /// Every level this CPU can run, lowest first.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

    public static func < (a: KernelPath, b: KernelPath) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A matrix-product engine.
public enum GemmEngine: String, CaseIterable, Sendable {
    case openblas, onednn

    @usableFromInline var c: nmt_engine { self == .openblas ? NMT_ENGINE_OPENBLAS : NMT_ENGINE_ONEDNN }
}

public enum KernelSettingError: Error, CustomStringConvertible {
    case unknown(variable: String, value: String, valid: [String])
    case unsupported(KernelPath)

    public var description: String {
        switch self {
        case let .unknown(variable, value, valid):
            "\(variable)=\(value) is not one of: \(valid.joined(separator: ", "))"
        case let .unsupported(path):
            "NMT_KERNELS=\(path.rawValue): this CPU does not support it (it supports: "
                + KernelPath.supported.map(\.rawValue).joined(separator: ", ") + ")"
        }
    }
}

public enum Kernels {
    /// The level in use: NMT_KERNELS if set, else the best the CPU supports. Fixed for the process
    /// (oneDNN's instruction-set cap can be set only once).
    public static let path: KernelPath = {
        pathFixed = true
        do {
            var p = try resolvePath(environment("NMT_KERNELS"))
            if environment("NMT_KERNELS") == nil, let preferred, preferred.isSupported { p = preferred }
            _ = nmt_onednn_cap_isa(p.isa)
            return p
        } catch {
            fail("\(error)")
        }
    }()

    nonisolated(unsafe) static var preferred: KernelPath?
    nonisolated(unsafe) static var pathFixed = false

    /// Asks for `level` instead of the best supported one (a resumed run's own level, for
    /// bit-identical sums). NMT_KERNELS, if set, wins. Returns why the level is not taken, or nil
    /// when it is; must come before anything computes.
    public static func prefer(_ level: String) -> String? {
        guard let p = KernelPath(rawValue: level) else { return "unknown kernel level \(level)" }
        if let forced = environment("NMT_KERNELS"), !forced.isEmpty {
            return forced == level ? nil : "NMT_KERNELS=\(forced) is set"
        }
        guard p.isSupported else { return "this CPU does not support \(level)" }
        guard !pathFixed else { return path == p ? nil : "the kernel level was already fixed (\(path.rawValue))" }
        preferred = p
        return nil
    }

    /// NMT_GEMM, if set: one engine for every product.
    public static let forcedEngine: GemmEngine? = {
        guard let v = environment("NMT_GEMM") else { return nil }
        guard let e = GemmEngine(rawValue: v) else {
            fail("\(KernelSettingError.unknown(variable: "NMT_GEMM", value: v, valid: GemmEngine.allCases.map(\.rawValue)))")
        }
        return e
    }()

    /// The level NMT_KERNELS names (nil or empty: the best supported).
    public static func resolvePath(_ value: String?) throws -> KernelPath {
        guard let value, !value.isEmpty else { return KernelPath.supported.last ?? .generic }
        guard let p = KernelPath(rawValue: value) else {
            throw KernelSettingError.unknown(variable: "NMT_KERNELS", value: value, valid: KernelPath.allCases.map(\.rawValue))
        }
        guard p.isSupported else { throw KernelSettingError.unsupported(p) }
        return p
    }

    /// The engine for op(A) (m × k) · op(B) (k × n), chosen by measurement per shape class
    /// (scripts/bench/gemm_engines.sh; the table and the reasons in docs/performance.md):
    ///   - one row (m = 1, single-sentence greedy decoding): the engine of the 2–32-row class. Alone
    ///     the two are equally fast (~40 GFLOP/s), but a decode that switches engines keeps two
    ///     thread pools spinning on two cores (OpenBLAS's and oneDNN's OpenMP team): greedy
    ///     one-sentence decoding took 2.8× as long as with one engine (session 8, performance.md);
    ///   - 2–32 rows (beams and small batches in decoding): oneDNN, 3–6× OpenBLAS;
    ///   - larger products at the AVX-512 level: OpenBLAS when it runs its own AVX-512 kernels
    ///     (it then equals oneDNN on the big shapes and wins the 64-row recurrent steps by 1.2–1.8×),
    ///     oneDNN otherwise (an AVX2 OpenBLAS kernel on an AVX-512 CPU: about half of oneDNN);
    ///   - larger products at the AVX2 level: oneDNN, but OpenBLAS for Aᵀ·B (the weight gradients,
    ///     where oneDNN's AVX2 kernel reaches 40 % of OpenBLAS's) when OpenBLAS runs AVX2 kernels of
    ///     its own; an OpenBLAS that does not know the CPU falls back to SSE3 kernels (Prescott, seen
    ///     on a Xeon of family 6 model 207), and oneDNN takes those products too.
    /// oneDNN's JIT kernels need AVX2: the generic level uses OpenBLAS only.
    @inlinable
    public static func engine(m: Int, n: Int, k: Int, transA: Bool = false) -> GemmEngine {
        if let e = forcedEngine { return e }
        if m == 1 { return path == .generic ? .openblas : .onednn }
        switch path {
        case .generic: return .openblas
        case .avx2: return transA && m > 32 && openBLASHasAVX2 ? .openblas : .onednn
        case .avx512: return m <= 32 || !openBLASHasAVX512 ? .onednn : .openblas
        }
    }

    /// Whether OpenBLAS chose (or was told to use) one of its AVX-512 kernels.
    public static let openBLASHasAVX512: Bool = {
        ["skylakex", "cooperlake", "sapphirerapids"].contains { openBLASCore.contains($0) }
    }()

    /// Whether OpenBLAS runs AVX2 (or AVX-512) kernels; an older OpenBLAS on a CPU it does not know
    /// runs SSE3 ones (Prescott).
    public static let openBLASHasAVX2: Bool = {
        openBLASHasAVX512 || ["haswell", "zen"].contains { openBLASCore.contains($0) }
    }()

    /// OpenBLAS's own name for the kernel it runs, lower case.
    static let openBLASCore = String(cString: nmt_openblas_core()).lowercased()

    /// One line for logs and run records: the level, the engines and OpenBLAS's own kernel.
    public static var summary: String {
        let v = nmt_onednn_version()
        let engine = forcedEngine.map { "\($0.rawValue) only" }
            ?? (path == .generic ? "openblas" : path == .avx512 && openBLASHasAVX512 ? "onednn for 1–32 rows, else openblas"
                : path == .avx2 && openBLASHasAVX2 ? "openblas for large Aᵀ·B, else onednn" : "onednn")
        return "kernels \(path.rawValue) (gemm: \(engine); oneDNN \(v / 10000).\(v / 100 % 100).\(v % 100), "
            + "OpenBLAS core \(String(cString: nmt_openblas_core())))"
    }

    /// A setting no run can start with: one line on standard error, exit status 2.
    static func fail(_ message: String) -> Never {
        var line = "error: \(message)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }

    static func environment(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
