#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

#include "arrays.hpp"
#include "partition.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_partition(py::module_& m) {
    m.def(
        "log_z_enumerate",
        [](py::array rows, py::array bias, py::array other_bias, double beta) {
            return dispatch_float(rows, "rows", [&](auto tag) {
                using T = decltype(tag);
                const T* r = checked<T>(rows, "rows", {-1, -1});
                const auto k = rows.shape(0), l = rows.shape(1);
                if (k > 62) throw py::value_error("rows: at most 62 enumerated units");
                const T* e = checked<T>(bias, "bias", {k});
                const T* c = checked<T>(other_bias, "other_bias", {l});
                py::gil_scoped_release release;
                return log_z_enumerate<T>(r, k, l, e, c, beta);
            });
        },
        py::arg("rows"), py::arg("bias"), py::arg("other_bias"), py::arg("beta"));

    m.def(
        "anneal",
        [](py::array visible, py::array weights, py::array weights_t, py::array visible_bias,
           py::array hidden_bias, py::array base_visible_bias,
           std::optional<py::array> base_weights, std::optional<py::array> base_weights_t,
           std::optional<py::array> base_hidden_bias, py::array coef_base, py::array coef_model,
           Key key, std::uint64_t chain_offset, bool draw_initial, py::array log_weights) {
            dispatch_float(visible, "visible", [&](auto tag) {
                using T = decltype(tag);
                T* v = checked<T>(visible, "visible", {-1, -1}, true);
                const auto n = visible.shape(0), nv = visible.shape(1);
                RbmView<T> model{checked<T>(weights, "weights", {nv, -1}), nullptr,
                                 checked<T>(visible_bias, "visible_bias", {nv}), nullptr,
                                 weights.shape(1)};
                model.weights_t = checked<T>(weights_t, "weights_t", {model.n_hidden, nv});
                model.hidden_bias = checked<T>(hidden_bias, "hidden_bias", {model.n_hidden});
                RbmView<T> base{nullptr, nullptr,
                                checked<T>(base_visible_bias, "base_visible_bias", {nv}),
                                nullptr, 0};
                if (base_weights || base_weights_t || base_hidden_bias) {
                    if (!(base_weights && base_weights_t && base_hidden_bias))
                        throw py::value_error(
                            "base_weights: give base_weights, base_weights_t and "
                            "base_hidden_bias together");
                    base.weights = checked<T>(*base_weights, "base_weights", {nv, -1});
                    base.n_hidden = base_weights->shape(1);
                    base.weights_t =
                        checked<T>(*base_weights_t, "base_weights_t", {base.n_hidden, nv});
                    base.hidden_bias =
                        checked<T>(*base_hidden_bias, "base_hidden_bias", {base.n_hidden});
                }
                const double* cb = checked<double>(coef_base, "coef_base", {-1});
                const auto n_steps = coef_base.shape(0);
                const double* cm = checked<double>(coef_model, "coef_model", {n_steps});
                double* lw = checked<double>(log_weights, "log_weights", {n}, true);
                // Ranges of steps of about 2^27 multiply-adds, Ctrl-C checked between them
                // (a split run is bit-identical: the state between steps is the chains).
                const double per_step =
                    2.0 * double(n) * double(nv) * double(model.n_hidden + base.n_hidden) + 1.0;
                if (n_steps < 2) {  // no step: the kernel only resets / draws
                    const AnnealSpec spec{cb, cm, n_steps, to_key(key), chain_offset,
                                          draw_initial, 1, 1};
                    py::gil_scoped_release release;
                    anneal<T>(v, n, nv, model, base, spec, lw);
                }
                in_stretches(1, n_steps, per_step, 134217728.0,
                             [&](std::int64_t first, std::int64_t count) {
                    const AnnealSpec spec{cb, cm, n_steps, to_key(key), chain_offset,
                                          draw_initial, first, first + count};
                    anneal<T>(v, n, nv, model, base, spec, lw);
                });
            });
        },
        py::arg("visible"), py::arg("weights"), py::arg("weights_t"), py::arg("visible_bias"),
        py::arg("hidden_bias"), py::arg("base_visible_bias"), py::arg("base_weights"),
        py::arg("base_weights_t"), py::arg("base_hidden_bias"), py::arg("coef_base"),
        py::arg("coef_model"), py::arg("key"), py::arg("chain_offset"), py::arg("draw_initial"),
        py::arg("log_weights"));

    m.def("softplus_fast", py::vectorize(&softplus_fast), py::arg("x"));
}
