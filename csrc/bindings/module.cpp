// pyrbm._core: wires the per-component bindings into one extension module.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_rng(py::module_& m);
void bind_threads(py::module_& m);
void bind_gibbs(py::module_& m);
void bind_energy(py::module_& m);
void bind_layout(py::module_& m);
void bind_partition(py::module_& m);
void bind_modes(py::module_& m);
void bind_gemm(py::module_& m);
void bind_engine(py::module_& m);
void bind_tempering(py::module_& m);
void bind_blas_pool(py::module_& m);
void bind_optim(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyrbm compiled kernels (internal; use the pyrbm package)";
    bind_rng(m);
    bind_threads(m);
    bind_gibbs(m);
    bind_energy(m);
    bind_layout(m);
    bind_partition(m);
    bind_modes(m);
    bind_gemm(m);
    bind_engine(m);
    bind_tempering(m);
    bind_blas_pool(m);
    bind_optim(m);
}
