// Which matrix-product engine wins, per shape class of this project's models: OpenBLAS (under
// whatever kernel its environment gives it) against oneDNN's dnnl_sgemm (JIT, at its best ISA
// or capped at AVX2), row-major Float32. Prints one markdown row per shape.
// Usage: gemm_engines THREADS [avx2]; built and run by scripts/bench/gemm_engines.sh.
#define _GNU_SOURCE
#include <cblas.h>
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef struct { const char *what; int m, n, k; int ta, tb; } Shape;

typedef void (*GemmFn)(const Shape *s, const float *a, const float *b, float *c);

static void openblas(const Shape *s, const float *a, const float *b, float *c) {
    int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    if (s->m == 1 && !s->ta) {
        // what BLAS.swift does for a single row: sgemv over op(B)
        cblas_sgemv(CblasRowMajor, s->tb ? CblasNoTrans : CblasTrans, s->tb ? s->n : s->k, s->tb ? s->k : s->n,
                    1.0f, b, ldb, a, 1, 0.0f, c, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, c, s->n);
}

static void onednn(const Shape *s, const float *a, const float *b, float *c) {
    int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, c, s->n);
}

static double gflops(GemmFn f, const Shape *s, const float *a, const float *b, float *c) {
    double flop = 2.0 * s->m * s->n * s->k, best = 0;
    f(s, a, b, c);  // warm-up (JIT, thread start)
    for (int rep = 0; rep < 5; rep++) {
        int iters = 0;
        double t0 = now(), t;
        do { f(s, a, b, c); iters++; t = now() - t0; } while (t < 0.08);
        double g = flop * iters / t / 1e9;
        if (g > best) best = g;
    }
    return best;
}

static double maxdiff(const float *x, const float *y, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++) { double e = fabs((double)x[i] - y[i]) / (1 + fabs((double)y[i])); if (e > d) d = e; }
    return d;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    Shape shapes[] = {
        {"decoder GRU step, batch 64 (64×1536×512)", 64, 1536, 512, 0, 1},
        {"encoder LSTM step, batch 64 (64×1024×256)", 64, 1024, 256, 0, 1},
        {"encoder step, backward dX (64×256×1024)", 64, 256, 1024, 0, 0},
        {"input projection, 896 positions (896×1024×256)", 896, 1024, 256, 0, 1},
        {"weight gradient (1024×256, 896 rows) (AᵀB)", 1024, 256, 896, 1, 0},
        {"output layer, 896 positions (896×6326×256)", 896, 6326, 256, 0, 1},
        {"output layer backward dX (896×256×6326)", 896, 256, 6326, 0, 0},
        {"output layer dW (6326×256, 896 rows)", 6326, 256, 896, 1, 0},
        {"one sentence, decoder step (1×1536×512)", 1, 1536, 512, 0, 1},
        {"beam 5, decoder step (5×1536×512)", 5, 1536, 512, 0, 1},
        {"beam 5, output layer (5×6326×256)", 5, 6326, 256, 0, 1},
        {"batch 8 output layer (8×6326×256)", 8, 6326, 256, 0, 1},
        {"square (1024³)", 1024, 1024, 1024, 0, 0},
    };
    if (argc > 2 && strcmp(argv[2], "avx2") == 0) dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2);
    openblas_set_num_threads(threads);
    omp_set_num_threads(threads);
    printf("OpenBLAS %s (core %s), oneDNN %d.%d.%d (ISA cap: %s), %d thread(s)\n\n", openblas_get_config(),
           openblas_get_corename(), dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch,
           argc > 2 ? argv[2] : "none", threads);
    printf("| shape (GFLOP/s) | OpenBLAS | oneDNN | max rel. diff |\n| --- | ---: | ---: | ---: |\n");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        Shape *s = &shapes[i];
        size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
        float *a = aligned_alloc(64, ((na * 4 + 63) / 64) * 64), *b = aligned_alloc(64, ((nb * 4 + 63) / 64) * 64);
        float *c1 = aligned_alloc(64, ((nc * 4 + 63) / 64) * 64), *c2 = aligned_alloc(64, ((nc * 4 + 63) / 64) * 64);
        srand(7);
        for (size_t j = 0; j < na; j++) a[j] = (float)((double)rand() / RAND_MAX) - 0.5f;
        for (size_t j = 0; j < nb; j++) b[j] = (float)((double)rand() / RAND_MAX) - 0.5f;
        double g1 = gflops(openblas, s, a, b, c1);
        double g2 = gflops(onednn, s, a, b, c2);
        double d = maxdiff(c2, c1, nc);
        printf("| %s | %.1f | %.1f | %.1e |\n", s->what, g1, g2, d);
        free(a); free(b); free(c1); free(c2);
    }
    return 0;
}
