// How the processes of one training run talk: sums over every process (gradients, token
// counts, stop votes) and a broadcast from rank 0 (validation's decisions). One process alone
// is the identity (SingleProcess); MPI's version lives in NMTDistributed, so that nothing here
// links MPI. The loop calls every method on all ranks in the same order.

import Foundation

public protocol Collective: AnyObject {
    /// This process's index, 0..<size; rank 0 validates, logs and writes checkpoints.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Starts summing `count` floats in place over all processes (in buckets, as the
    /// implementation chooses), in the background where it can; every rank starts the same
    /// ranges in the same order. The buffer must not be touched until `finishSums`.
    func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Waits until every started sum is done.
    func finishSums() throws
    /// Sums in place over all processes.
    func sum(_ values: inout [Double]) throws
    func sum(_ values: inout [UInt64]) throws
    /// Replaces `values` by rank 0's (the same count on every rank).
    func broadcast(_ values: inout [Double]) throws
    /// Seconds spent inside communication so far (for logs and the scaling note).
    var communicationSeconds: Double { get }
    /// Of those, the seconds the training waited for (the rest ran behind backward).
    var exposedSeconds: Double { get }
}

extension Collective {
    /// Sums `count` floats in place over all processes, and waits.
    public func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        startSum(buffer, count: count)
        try finishSums()
    }
}

/// The one process of a run without MPI: every sum is the identity.
public final class SingleProcess: Collective {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func startSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func finishSums() throws {}
    public func sum(_ values: inout [Double]) throws {}
    public func sum(_ values: inout [UInt64]) throws {}
    public func broadcast(_ values: inout [Double]) throws {}
    public var communicationSeconds: Double { 0 }
    public var exposedSeconds: Double { 0 }
}

public enum CollectiveError: Error, CustomStringConvertible {
    case failed(operation: String, reason: String)
    case outOfSync(step: Int, ranks: [Int])
    case rankCount(dir: String, recorded: Int, now: Int)

    public var description: String {
        switch self {
        case let .failed(operation, reason): return "MPI \(operation) failed: \(reason)"
        case let .outOfSync(step, ranks):
            return "after step \(step) the weights differ between processes (ranks \(ranks.map(String.init).joined(separator: ", ")) differ from rank 0); stopping"
        case let .rankCount(dir, recorded, now):
            let how = recorded == 1 ? "without mpirun (or with mpirun -np 1)" : "with mpirun -np \(recorded)"
            return "\(dir): this run was trained with \(recorded) process\(recorded == 1 ? "" : "es") and is resumed with \(now); "
                + "resume it \(how): each process's place in the batch order and its dropout generator are saved per rank"
        }
    }
}
