// Would int8 weights pay in decoding? oneDNN's dnnl_gemm_u8s8s32 (VNNI where the CPU has it)
// against its dnnl_sgemm on the products a decoding step makes: x (m×k, activations) times Wᵀ
// (W: n×k, the layer's weight as stored), row-major, for single sentences (m = 1), one beam
// (m = 5) and batched beams (m = 320 = 64 sentences × beam 5). Prints one markdown row per shape:
// GFLOP/s (Float32) and GOP/s (int8), each the best of 5 timings of ≥ 80 ms, and the time ratio.
// Measures the products alone: quantizing activations and rescaling results come on top.
// Usage: int8_gemm THREADS; built and run by scripts/bench/int8_gemm.sh.
#define _GNU_SOURCE
#include <dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench_common.h"

typedef struct { const char *what; int m, n, k; } Shape;

typedef struct { const Shape *s; const float *xf, *wf; float *cf; const uint8_t *xq; const int8_t *wq; int32_t *cq; } Args;

static void f32(const Args *a) {
    dnnl_sgemm('N', 'T', a->s->m, a->s->n, a->s->k, 1.0f, a->xf, a->s->k, a->wf, a->s->k, 0.0f, a->cf, a->s->n);
}

static void i8(const Args *a) {
    int32_t co = 0;
    dnnl_gemm_u8s8s32('N', 'T', 'F', a->s->m, a->s->n, a->s->k, 1.0f, a->xq, a->s->k, 0, a->wq, a->s->k, 0,
                      0.0f, a->cq, a->s->n, &co);
}

static double rate(void (*f)(const Args *), const Args *a) {
    double ops = 2.0 * a->s->m * a->s->n * a->s->k, best = 0;
    f(a);  // warm-up (JIT, thread start)
    for (int rep = 0; rep < 5; rep++) {
        int iters = 0;
        double t0 = now(), t;
        do { f(a); iters++; t = now() - t0; } while (t < 0.08);
        double g = ops * iters / t / 1e9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    omp_set_num_threads(threads);
    const Shape shapes[] = {
        {"one sentence, decoder GRU step (1×1536×512)", 1, 1536, 512},
        {"one sentence, output layer (1×8639×256)", 1, 8639, 256},
        {"beam 5, decoder GRU step (5×1536×512)", 5, 1536, 512},
        {"beam 5, output layer (5×8639×256)", 5, 8639, 256},
        {"64 × beam 5, decoder GRU step (320×1536×512)", 320, 1536, 512},
        {"64 × beam 5, pre-output projection (320×256×512)", 320, 256, 512},
        {"64 × beam 5, output layer (320×8639×256)", 320, 8639, 256},
    };
    printf("oneDNN %d.%d.%d, %d thread(s)\n\n", dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, threads);
    printf("| shape | Float32 GFLOP/s | int8 GOP/s | int8 time ÷ Float32 time |\n| --- | ---: | ---: | ---: |\n");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const Shape *s = &shapes[i];
        size_t nx = (size_t)s->m * s->k, nw = (size_t)s->n * s->k, nc = (size_t)s->m * s->n;
        float *xf = malloc(nx * 4), *wf = malloc(nw * 4), *cf = malloc(nc * 4);
        uint8_t *xq = malloc(nx);
        int8_t *wq = malloc(nw);
        int32_t *cq = malloc(nc * 4);
        srand(1);
        for (size_t j = 0; j < nx; j++) { xf[j] = rand() / (float)RAND_MAX; xq[j] = (uint8_t)(rand() & 0x7F); }
        for (size_t j = 0; j < nw; j++) { wf[j] = rand() / (float)RAND_MAX - 0.5f; wq[j] = (int8_t)((rand() & 0xFF) - 128); }
        Args a = {s, xf, wf, cf, xq, wq, cq};
        double g = rate(f32, &a), q = rate(i8, &a);
        printf("| %s | %.1f | %.1f | %.2f |\n", s->what, g, q, g / q);
        free(xf); free(wf); free(cf); free(xq); free(wq); free(cq);
    }
    return 0;
}
