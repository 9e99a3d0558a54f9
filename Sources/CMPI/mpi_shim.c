// See include/mpi_shim.h. Counts above INT_MAX are sent in pieces (MPI counts are int).
#include "mpi_shim.h"
#include <limits.h>
#include <string.h>
#include <mpi.h>

int nmt_mpi_init(int32_t *rank, int32_t *size, int32_t *provided) {
    int p = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &p);
    if (rc != MPI_SUCCESS) return rc;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int r = 0, s = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    *rank = r; *size = s;
    *provided = p == MPI_THREAD_SINGLE ? 0 : p == MPI_THREAD_FUNNELED ? 1 : p == MPI_THREAD_SERIALIZED ? 2 : 3;
    return MPI_SUCCESS;
}

int nmt_mpi_finalize(void) { return MPI_Finalize(); }

void nmt_mpi_abort(int32_t code) { MPI_Abort(MPI_COMM_WORLD, code); }

static int sum(void *buffer, int64_t count, MPI_Datatype type, size_t width) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX / 2 ? INT_MAX / 2 : (int)count;
        int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, type, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += (size_t)n * width;
        count -= n;
    }
    return MPI_SUCCESS;
}

int nmt_mpi_sum_float(float *buffer, int64_t count) { return sum(buffer, count, MPI_FLOAT, sizeof(float)); }
int nmt_mpi_sum_double(double *buffer, int64_t count) { return sum(buffer, count, MPI_DOUBLE, sizeof(double)); }
int nmt_mpi_sum_uint64(uint64_t *buffer, int64_t count) { return sum(buffer, count, MPI_UINT64_T, sizeof(uint64_t)); }

int nmt_mpi_broadcast(void *buffer, int64_t count, int32_t root) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX / 2 ? INT_MAX / 2 : (int)count;
        int rc = MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += n;
        count -= n;
    }
    return MPI_SUCCESS;
}

int nmt_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void nmt_mpi_error_string(int code, char *out, int32_t capacity) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) { len = 0; text[0] = 0; }
    if (capacity <= 0) return;
    size_t n = (size_t)len < (size_t)(capacity - 1) ? (size_t)len : (size_t)(capacity - 1);
    memcpy(out, text, n);
    out[n] = 0;
}

void nmt_mpi_processor_name(char *out, int32_t capacity) {
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    if (MPI_Get_processor_name(name, &len) != MPI_SUCCESS) len = 0;
    if (capacity <= 0) return;
    size_t n = (size_t)len < (size_t)(capacity - 1) ? (size_t)len : (size_t)(capacity - 1);
    memcpy(out, name, n);
    out[n] = 0;
}
