#include "arrays.hpp"
#include "layout.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_layout(py::module_& m) {
    m.def(
        "transpose",
        [](py::array src, py::array out) {
            dispatch_float(src, "src", [&](auto tag) {
                using T = decltype(tag);
                const T* s = checked<T>(src, "src", {-1, -1});
                const auto n_rows = src.shape(0), n_cols = src.shape(1);
                T* o = checked<T>(out, "out", {n_cols, n_rows}, true);
                const auto* s0 = reinterpret_cast<const char*>(s);
                const auto* o0 = reinterpret_cast<const char*>(o);
                const auto bytes = static_cast<std::size_t>(n_rows * n_cols) * sizeof(T);
                if (bytes > 0 && s0 < o0 + bytes && o0 < s0 + bytes)  // overlapping views too
                    throw py::value_error("out: must not share memory with src");
                py::gil_scoped_release release;
                transpose<T>(s, n_rows, n_cols, o);
            });
        },
        py::arg("src"), py::arg("out"));
}
