#include "arrays.hpp"
#include "energy.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_energy(py::module_& m) {
    m.def(
        "energy_from_fields",
        [](py::array visible, py::array hidden, py::array fields, py::array visible_bias,
           py::array hidden_bias, double beta, py::array out) {
            dispatch_float(visible, "visible", [&](auto tag) {
                using T = decltype(tag);
                const T* v = checked<T>(visible, "visible", {-1, -1});
                const auto n = visible.shape(0), nv = visible.shape(1);
                const T* h = checked<T>(hidden, "hidden", {n, -1});
                const auto nh = hidden.shape(1);
                const T* f = checked<T>(fields, "fields", {n, nh});
                const T* a = checked<T>(visible_bias, "visible_bias", {nv});
                const T* b = checked<T>(hidden_bias, "hidden_bias", {nh});
                T* o = checked<T>(out, "out", {n}, true);
                py::gil_scoped_release release;
                energy_from_fields<T>(v, h, f, n, nv, nh, a, b, static_cast<T>(beta), o);
            });
        },
        py::arg("visible"), py::arg("hidden"), py::arg("fields"), py::arg("visible_bias"),
        py::arg("hidden_bias"), py::arg("beta"), py::arg("out"));

    m.def(
        "free_energy_from_fields",
        [](py::array visible, py::array fields, py::array visible_bias, py::array hidden_bias,
           double beta, py::array out) {
            dispatch_float(visible, "visible", [&](auto tag) {
                using T = decltype(tag);
                const T* v = checked<T>(visible, "visible", {-1, -1});
                const auto n = visible.shape(0), nv = visible.shape(1);
                const T* f = checked<T>(fields, "fields", {n, -1});
                const auto nh = fields.shape(1);
                const T* a = checked<T>(visible_bias, "visible_bias", {nv});
                const T* b = checked<T>(hidden_bias, "hidden_bias", {nh});
                T* o = checked<T>(out, "out", {n}, true);
                py::gil_scoped_release release;
                free_energy_from_fields<T>(v, f, n, nv, nh, a, b, static_cast<T>(beta), o);
            });
        },
        py::arg("visible"), py::arg("fields"), py::arg("visible_bias"), py::arg("hidden_bias"),
        py::arg("beta"), py::arg("out"));
}
