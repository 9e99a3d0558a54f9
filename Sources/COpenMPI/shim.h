// Open MPI's compiler and linker flags (pkg-config ompi-c) for CMPI; Swift never imports this
// header: mpi.h's handles are macros over library symbols, which CMPI wraps in plain C.
#include <mpi.h>
