// cpuid and xgetbv: what the CPU offers and what the OS lets us use.
#include "CKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

typedef struct { int avx2, avx512; } features;

static features detect(void) {
    features f = {0, 0};
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return f;
    uint64_t xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
    int zmm = (xcr0 & 0xe6) == 0xe6;          // plus opmask and the upper ZMM registers
    if (__get_cpuid_max(0, 0) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1;
    int avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    f.avx2 = ymm && avx2 && fma;
    f.avx512 = f.avx2 && zmm && avx512f && avx512dq && avx512bw && avx512vl;
    return f;
}

int nmt_cpu_supports(nmt_isa isa) {
    features f = detect();
    switch (isa) {
    case NMT_ISA_GENERIC: return 1;
    case NMT_ISA_AVX2: return f.avx2;
    case NMT_ISA_AVX512: return f.avx512;
    }
    return 0;
}

#else
int nmt_cpu_supports(nmt_isa isa) { return isa == NMT_ISA_GENERIC; }
#endif
