#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "parallel.hpp"

namespace py = pybind11;

void bind_threads(py::module_& m) {
    m.def("have_openmp", &pyrbm::have_openmp);
    m.def("get_max_threads", &pyrbm::max_threads);
    m.def(
        "set_num_threads",
        [](std::int64_t n) {
            if (n < 1 || n > 4096)  // as pyrbm._threads.MAX_THREADS
                throw py::value_error("n_threads: must be in [1, 4096], got " +
                                      std::to_string(n));
            return pyrbm::set_threads(static_cast<int>(n));
        },
        "Set the kernels' OpenMP thread count; returns the count in effect (1 in a "
        "process forked from one that loaded pyrbm: GNU OpenMP cannot start teams there).",
        py::arg("n_threads"));
    m.def("forked_child", &pyrbm::forked_child,
          "Whether this process was forked from one that had loaded pyrbm (its kernels "
          "then run on one thread).");
}
