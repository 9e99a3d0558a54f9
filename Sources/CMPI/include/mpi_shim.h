// A plain-C view of the few MPI services distributed training uses (Open MPI 4.1 from Debian).
//
// Only plain C types cross this header; mpi.h is included by mpi_shim.c alone (its handles,
// MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, are macros over library symbols that Swift cannot import).
// Every function returns 0 on success or an MPI error code; with MPI_ERRORS_RETURN set on the
// world communicator, a failed operation returns instead of aborting, and the caller reports it.
#ifndef NMT_MPI_SHIM_H
#define NMT_MPI_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Initializes MPI (thread level "serialized": one thread at a time calls MPI) and reports this
/// process's rank and the number of processes. `provided` gets the thread level granted
/// (0 single, 1 funneled, 2 serialized, 3 multiple).
int nmt_mpi_init(int32_t *rank, int32_t *size, int32_t *provided);
int nmt_mpi_finalize(void);
/// Ends every process of the job with `code` (MPI_Abort on the world communicator).
void nmt_mpi_abort(int32_t code);

/// In-place sums over all processes.
int nmt_mpi_sum_float(float *buffer, int64_t count);
int nmt_mpi_sum_double(double *buffer, int64_t count);
int nmt_mpi_sum_uint64(uint64_t *buffer, int64_t count);
/// Copies `count` bytes from `root`'s buffer to every process's.
int nmt_mpi_broadcast(void *buffer, int64_t count, int32_t root);
int nmt_mpi_barrier(void);

/// A readable text for an MPI error code, into `out` (at most `capacity` bytes, NUL-terminated).
void nmt_mpi_error_string(int code, char *out, int32_t capacity);
/// This host's name as MPI reports it.
void nmt_mpi_processor_name(char *out, int32_t capacity);

#ifdef __cplusplus
}
#endif

#endif
