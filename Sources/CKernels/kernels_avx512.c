// The elementwise kernels for the avx512 level (vec_kernels.h over vec_avx512.h).
#include "vec_avx512.h"
#include "vec_kernels.h"
