// Data-parallel training over Open MPI: NMTTrain's Collective on MPI's allreduce and broadcast
// (through the plain-C shim CMPI). Started only when the process was launched by mpirun: a
// plain `nmt-train` never initializes MPI.
//
// Gradients are summed in buckets of 4 MB on a communication thread of their own: the loop
// starts a range as soon as backward has finished it (the output layer and decoder first, while
// the encoder's backward still runs) and waits only for what is left at the end. MPI is
// initialized "serialized": the communication thread calls MPI while sums are pending, the
// training thread only after `finishSums`.

import CMPI
import Foundation
import NMTTrain

public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int
    /// Floats per allreduce of a gradient buffer.
    public let bucketFloats = (4 << 20) / 4
    /// Set when the command ended normally: the exit handler then finalizes MPI; otherwise it
    /// aborts the job, so that no rank waits for one that has gone.
    nonisolated(unsafe) public static var finishedCleanly = false
    public var communicationSeconds: Double { queue.withLock { queue.busySeconds } + mainSeconds }
    public private(set) var exposedSeconds = 0.0
    var mainSeconds = 0.0
    let queue = SumQueue()
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
        atexit { if MPICollective.finishedCleanly { _ = nmt_mpi_finalize() } else { nmt_mpi_abort(1) } }
        return c
    }

    init(rank: Int, size: Int) {
        self.rank = rank; self.size = size
        let queue = self.queue, bucket = bucketFloats
        let thread = Thread { queue.serve(bucketFloats: bucket) }
        thread.name = "nmt-allreduce"
        thread.start()
    }

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

    /// A call made on the training thread (after `finishSums`), timed as exposed communication.
    func timed(_ operation: String, _ body: () -> Int32) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let rc = body()
        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        mainSeconds += s
        exposedSeconds += s
        guard rc == 0 else { throw CollectiveError.failed(operation: operation, reason: Self.errorText(rc)) }
    }

    public func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        queue.withLock {
            queue.jobs.append((UnsafeMutableRawPointer(buffer), count))
            queue.pending += 1
            queue.condition.broadcast()
        }
    }

    public func finishSums() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let rc: Int32 = queue.withLock {
            while queue.pending > 0 { queue.condition.wait() }
            defer { queue.error = 0 }
            return queue.error
        }
        exposedSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        guard rc == 0 else { throw CollectiveError.failed(operation: "allreduce", reason: Self.errorText(rc)) }
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

/// The communication thread's work list: ranges of floats to sum, in the order they were started.
final class SumQueue: @unchecked Sendable {
    let condition = NSCondition()
    var jobs: [(UnsafeMutableRawPointer, Int)] = []
    var pending = 0
    var error: Int32 = 0
    var busySeconds = 0.0

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// The thread's loop: takes each range in order and sums it bucket by bucket.
    func serve(bucketFloats: Int) {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let (raw, count) = jobs.removeFirst()
            condition.unlock()
            let buffer = raw.assumingMemoryBound(to: Float.self)
            let t0 = DispatchTime.now().uptimeNanoseconds
            var rc: Int32 = 0
            var start = 0
            while start < count && rc == 0 {
                let n = min(bucketFloats, count - start)
                rc = nmt_mpi_sum_float(buffer + start, Int64(n))
                start += n
            }
            let s = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            condition.lock()
            busySeconds += s
            if rc != 0 && error == 0 { error = rc }
            pending -= 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
