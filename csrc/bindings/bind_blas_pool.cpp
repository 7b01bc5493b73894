#include <pybind11/pybind11.h>

#include <cstdint>

#include "blas_pool.hpp"

namespace py = pybind11;

void bind_blas_pool(py::module_& m) {
    m.def(
        "blas_jobs_callback",
        [] { return reinterpret_cast<std::uintptr_t>(&pyrbm::run_blas_jobs); },
        "Address of the C function that runs OpenBLAS's parallel jobs on pyrbm's OpenMP "
        "threads (an openblas_threads_callback).");
    m.def("blas_jobs_run", &pyrbm::blas_jobs_run,
          "Number of OpenBLAS jobs run through that function since the module was loaded.");
}
