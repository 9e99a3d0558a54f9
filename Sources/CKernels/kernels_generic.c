// The elementwise kernels for the generic level (vec_kernels.h over vec_sse2.h).
#include "vec_sse2.h"
#include "vec_kernels.h"
