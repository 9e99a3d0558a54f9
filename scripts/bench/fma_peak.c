// The machine's Float32 FMA ceiling: a loop of 12 independent chains of fused multiply-adds
// (enough to cover the FMA latency on every x86 core of the last decade), with AVX-512 (16 lanes)
// and AVX2 (8 lanes), on 1 thread and on N threads (one per core). 2 FLOP per lane per FMA.
// The figure the project's efficiency is measured against (docs/performance.md).
// Build and run: scripts/bench/fma_peak.sh
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 12
#define ITERS 200000000L

__attribute__((target("avx512f"))) static float run512(long iters) {
    __m512 acc[CHAINS];
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iters; n++)
        _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float run256(long iters) {
    __m256 acc[CHAINS];
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long n = 0; n < iters; n++)
        _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}

static void measure(const char *name, int lanes, float (*kernel)(long), int threads) {
    long iters = ITERS / (lanes / 8);
    volatile float sink = 0;
    kernel(iters / 20);   // warm up (clock ramp, AVX-512 license)
    double t0 = now();
    #pragma omp parallel num_threads(threads) reduction(+:sink)
    { sink += kernel(iters); }
    double t = now() - t0;
    double flops = 2.0 * lanes * CHAINS * (double)iters * threads;
    printf("%-8s %d thread%s  %7.1f GFLOP/s\n", name, threads, threads == 1 ? " " : "s", flops / t * 1e-9);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    __builtin_cpu_init();
    for (int t = 1; t <= threads; t *= 2) {
        if (__builtin_cpu_supports("avx512f")) measure("AVX-512", 16, run512, t);
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) measure("AVX2", 8, run256, t);
        if (t * 2 > threads && t != threads) t = threads / 2;
    }
    return 0;
}
