// The two matrix-product engines and their threads. OpenBLAS runs whatever kernel its own
// detection (or the user's environment) gives it; this file never reads or sets OPENBLAS_*.
// oneDNN's sgemm is JIT-compiled for the CPU it finds, capped by nmt_onednn_cap_isa.
#include "CKernels.h"
#include <cblas.h>
#include <dnnl.h>
// omp.h is GCC's (not on clang's path here); the one OpenMP call we make, from libgomp:
void omp_set_num_threads(int);

static int threads = 0;  // 0: not set, the engines' own default (the number of cores)
static _Thread_local int this_thread = 0;  // a decoding worker's own count (0: the process's)

void nmt_set_threads(int n) {
    threads = n < 1 ? 1 : n;
    openblas_set_num_threads(threads);
    omp_set_num_threads(threads);
}

int nmt_get_threads(void) { return this_thread ? this_thread : threads ? threads : openblas_get_num_threads(); }

// libgomp keeps the team size per thread: a thread the process starts later begins with the
// default (the number of cores), whatever nmt_set_threads told the thread that called it.
// OpenBLAS's count stays the process's.
void nmt_set_threads_for_this_thread(int n) {
    this_thread = n < 1 ? 1 : n;
    omp_set_num_threads(this_thread);
}

int nmt_onednn_cap_isa(nmt_isa isa) {
    dnnl_cpu_isa_t cap = isa == NMT_ISA_AVX512 ? dnnl_cpu_isa_avx512_core
                       : isa == NMT_ISA_AVX2   ? dnnl_cpu_isa_avx2
                                               : dnnl_cpu_isa_sse41;
    return dnnl_set_max_cpu_isa(cap) == dnnl_success;
}

int nmt_onednn_version(void) {
    const dnnl_version_t *v = dnnl_version();
    return v->major * 10000 + v->minor * 100 + v->patch;
}

const char *nmt_openblas_core(void) { return openblas_get_corename(); }

void nmt_sgemm(nmt_engine engine, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    if (engine == NMT_ENGINE_ONEDNN) {
        dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (m == 1) {
        // y (n) = alpha · op(B)ᵀ · x + beta · y, x the single row of op(A): OpenBLAS 0.3.21's sgemm
        // does not take this path itself (6 against 24 GFLOP/s).
        int64_t inc_x = trans_a ? lda : 1;
        int64_t rows_b = trans_b ? n : k, cols_b = trans_b ? k : n;
        cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, (int)rows_b, (int)cols_b, alpha, b,
                    (int)ldb, a, (int)inc_x, beta, c, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
