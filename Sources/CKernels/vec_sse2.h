// 4-wide Float32 vectors (SSE2, every x86-64), for vec_kernels.h: the generic path.
#include <emmintrin.h>
#include <string.h>
#define VW 4
#define VSUFFIX generic
#define VTARGET "sse2"
typedef __m128 vf;
typedef __m128i vi;
#define VSET1(x) _mm_set1_ps(x)
#define VZERO() _mm_setzero_ps()
#define VLOAD(p) _mm_loadu_ps(p)
#define VSTORE(p, v) _mm_storeu_ps((p), (v))
#define VLOADN(p, n) vloadn_sse2((p), (n))
#define VSTOREN(p, v, n) vstoren_sse2((p), (v), (n))
#define VADD _mm_add_ps
#define VSUB _mm_sub_ps
#define VMUL _mm_mul_ps
#define VDIV _mm_div_ps
#define VMIN _mm_min_ps
#define VMAX _mm_max_ps
#define VFMA(a, b, c) _mm_add_ps(_mm_mul_ps((a), (b)), (c))
#define VFNMA(a, b, c) _mm_sub_ps((c), _mm_mul_ps((a), (b)))
#define VSQRT _mm_sqrt_ps
#define VCAST_I(v) _mm_castps_si128(v)
#define VCAST_F(v) _mm_castsi128_ps(v)
#define VI_ADD _mm_add_epi32
#define VI_SUB _mm_sub_epi32
#define VI_SET1 _mm_set1_epi32
#define VI_SLL(v, k) _mm_slli_epi32((v), (k))

static inline vf vloadn_sse2(const float *p, int n) {
    float t[4] = {0, 0, 0, 0};
    memcpy(t, p, (size_t)n * sizeof(float));
    return _mm_loadu_ps(t);
}
static inline void vstoren_sse2(float *p, vf v, int n) {
    float t[4];
    _mm_storeu_ps(t, v);
    memcpy(p, t, (size_t)n * sizeof(float));
}
static inline float vhsum_sse2(vf v) {
    float t[4];
    _mm_storeu_ps(t, v);
    return (t[0] + t[2]) + (t[1] + t[3]);
}
static inline float vhmax_sse2(vf v) {
    float t[4];
    _mm_storeu_ps(t, v);
    float a = t[0] > t[2] ? t[0] : t[2], b = t[1] > t[3] ? t[1] : t[3];
    return a > b ? a : b;
}
#define VHSUM(v) vhsum_sse2(v)
#define VHMAX(v) vhmax_sse2(v)
