// 8-wide Float32 vectors (AVX2 with FMA3), for vec_kernels.h. Tails go through a small buffer.
#include <immintrin.h>
#include <string.h>
#define VW 8
#define VSUFFIX avx2
#define VTARGET "avx2,fma"
typedef __m256 vf;
typedef __m256i vi;
#define VSET1(x) _mm256_set1_ps(x)
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VLOADN(p, n) vloadn_avx2((p), (n))
#define VSTOREN(p, v, n) vstoren_avx2((p), (v), (n))
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VFNMA(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#define VSQRT _mm256_sqrt_ps
#define VCAST_I(v) _mm256_castps_si256(v)
#define VCAST_F(v) _mm256_castsi256_ps(v)
#define VI_ADD _mm256_add_epi32
#define VI_SUB _mm256_sub_epi32
#define VI_SET1 _mm256_set1_epi32
#define VI_SLL(v, k) _mm256_slli_epi32((v), (k))

__attribute__((target(VTARGET), always_inline)) static inline vf vloadn_avx2(const float *p, int n) {
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(t, p, (size_t)n * sizeof(float));
    return _mm256_loadu_ps(t);
}
__attribute__((target(VTARGET), always_inline)) static inline void vstoren_avx2(float *p, vf v, int n) {
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(p, t, (size_t)n * sizeof(float));
}
__attribute__((target(VTARGET), always_inline)) static inline float vhsum_avx2(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
__attribute__((target(VTARGET), always_inline)) static inline float vhmax_avx2(vf v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#define VHSUM(v) vhsum_avx2(v)
#define VHMAX(v) vhmax_avx2(v)
