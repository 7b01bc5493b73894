#include <pybind11/stl.h>

#include "arrays.hpp"
#include "pcd.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_pcd(py::module_& m) {
    m.def(
        "pcd_update",
        [](py::array v_pos, py::array h_samples, py::array weights, py::array visible_bias,
           py::array hidden_bias, double learning_rate, Key key, std::uint64_t sweep,
           py::array h_next) {
            dispatch_float(weights, "weights", [&](auto tag) {
                using T = decltype(tag);
                T* w = checked<T>(weights, "weights", {-1, -1}, true);
                const auto nv = weights.shape(0), nh = weights.shape(1);
                const T* v = checked<T>(v_pos, "v_pos", {-1, nv});
                const T* h = checked<T>(h_samples, "h_samples", {-1, nh});
                const auto n_pos = v_pos.shape(0), n_chains = h_samples.shape(0);
                if (n_pos == 0) throw py::value_error("v_pos: empty batch");
                T* a = checked<T>(visible_bias, "visible_bias", {nv}, true);
                T* b = checked<T>(hidden_bias, "hidden_bias", {nh}, true);
                T* out = checked<T>(h_next, "h_next", {n_chains, nh}, true);
                py::gil_scoped_release release;
                pcd_update<T>(v, n_pos, h, n_chains, nv, nh, w, a, b,
                              static_cast<T>(learning_rate), to_key(key), sweep, out);
            });
        },
        py::arg("v_pos"), py::arg("h_samples"), py::arg("weights"), py::arg("visible_bias"),
        py::arg("hidden_bias"), py::arg("learning_rate"), py::arg("key"), py::arg("sweep"),
        py::arg("h_next"));
}
