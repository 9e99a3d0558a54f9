// 16-wide Float32 vectors (AVX-512 F/BW/DQ/VL), for vec_kernels.h. Tails use masked loads/stores.
#include <immintrin.h>
#define VW 16
#define VSUFFIX avx512
#define VTARGET "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"
typedef __m512 vf;
typedef __m512i vi;
#define VSET1(x) _mm512_set1_ps(x)
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VLOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define VSTOREN(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VFNMA(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define VSQRT _mm512_sqrt_ps
#define VCAST_I(v) _mm512_castps_si512(v)
#define VCAST_F(v) _mm512_castsi512_ps(v)
#define VI_ADD _mm512_add_epi32
#define VI_SUB _mm512_sub_epi32
#define VI_SET1 _mm512_set1_epi32
#define VI_SLL(v, k) _mm512_slli_epi32((v), (k))
#define VHSUM(v) _mm512_reduce_add_ps(v)
#define VHMAX(v) _mm512_reduce_max_ps(v)
