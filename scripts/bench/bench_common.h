// What the C benchmarks here share: a monotonic clock in seconds, and libgomp's thread setting
// (omp.h is GCC's, not on clang's path here; this is the one OpenMP call they make).
#include <time.h>

void omp_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
