// The elementwise kernels for the avx2 level (vec_kernels.h over vec_avx2.h).
#include "vec_avx2.h"
#include "vec_kernels.h"
