// Data-parallel training over Open MPI: NMTTrain's Collective on MPI's allreduce and broadcast
// (through the plain-C shim CMPI). Started only when the process was launched by mpirun: a
// plain `nmt-train` never initializes MPI.
//
// Gradients are summed in buckets of `bucketBytes` (4 MB by default), so that no message is
// larger than a bucket and the time of each is measured.

import CMPI
import Foundation
import NMTTrain

public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int
    /// Floats per allreduce of a gradient buffer.
    public var bucketFloats = (4 << 20) / 4
    public private(set) var communicationSeconds = 0.0
    nonisolated(unsafe) static var started: MPICollective?

    /// True when mpirun (or another Open MPI / PMIx launcher) started this process.
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// Initializes MPI once; later calls return the same object.
    public static func start() throws -> MPICollective {
        if let started { return started }
        var rank: Int32 = 0, size: Int32 = 1, provided: Int32 = 0
        let rc = nmt_mpi_init(&rank, &size, &provided)
        guard rc == 0 else { throw CollectiveError.failed(operation: "initialization", reason: errorText(rc)) }
        guard provided >= 2 else {
            throw CollectiveError.failed(operation: "initialization", reason: "the library grants thread level \(provided), serialized (2) is needed")
        }
        let c = MPICollective(rank: Int(rank), size: Int(size))
        started = c
        atexit { _ = nmt_mpi_finalize() }
        return c
    }

    init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    /// Ends every process of the job (a rank that cannot go on must not leave the others waiting).
    public static func abort(_ code: Int32) -> Never {
        nmt_mpi_abort(code)
        exit(code)
    }

    /// This host's name, for messages.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        nmt_mpi_processor_name(&buffer, 256)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        nmt_mpi_error_string(code, &buffer, 512)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + " (code \(code))"
    }

    func timed(_ operation: String, _ body: () -> Int32) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let rc = body()
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        guard rc == 0 else { throw CollectiveError.failed(operation: operation, reason: Self.errorText(rc)) }
    }

    public func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        var start = 0
        while start < count {
            let n = min(bucketFloats, count - start)
            try timed("allreduce") { nmt_mpi_sum_float(buffer + start, Int64(n)) }
            start += n
        }
    }

    public func sum(_ values: inout [Double]) throws {
        let n = values.count
        try values.withUnsafeMutableBufferPointer { p in try timed("allreduce") { nmt_mpi_sum_double(p.baseAddress!, Int64(n)) } }
    }

    public func sum(_ values: inout [UInt64]) throws {
        let n = values.count
        try values.withUnsafeMutableBufferPointer { p in try timed("allreduce") { nmt_mpi_sum_uint64(p.baseAddress!, Int64(n)) } }
    }

    public func broadcast(_ values: inout [Double]) throws {
        let n = values.count * 8
        try values.withUnsafeMutableBytes { p in try timed("broadcast") { nmt_mpi_broadcast(p.baseAddress!, Int64(n), 0) } }
    }
}
