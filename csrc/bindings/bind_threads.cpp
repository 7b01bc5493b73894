#include <pybind11/pybind11.h>

#include "parallel.hpp"

namespace py = pybind11;

void bind_threads(py::module_& m) {
    m.def("have_openmp", &pyrbm::have_openmp);
    m.def("get_max_threads", &pyrbm::max_threads);
    m.def(
        "set_num_threads",
        [](int n) {
            if (n < 1) throw py::value_error("n_threads: must be >= 1, got " + std::to_string(n));
            pyrbm::set_threads(n);
        },
        py::arg("n_threads"));
}
