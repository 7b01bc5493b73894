#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

#include "arrays.hpp"
#include "engine.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

namespace {

template <typename T>
ModelView<T> model_view(const py::array& weights, const py::array& visible_bias,
                        const py::array& hidden_bias) {
    const T* w = checked<T>(weights, "weights", {-1, -1});
    const auto nv = weights.shape(0), nh = weights.shape(1);
    return ModelView<T>{w, checked<T>(visible_bias, "visible_bias", {nv}),
                        checked<T>(hidden_bias, "hidden_bias", {nh}), nv, nh};
}

FieldPath to_path(int path) {
    if (path < 0 || path > 2)
        throw py::value_error("path: expected 0 (auto), 1 (dense) or 2 (sparse), got " +
                              std::to_string(path));
    return static_cast<FieldPath>(path);
}

}  // namespace

void bind_engine(py::module_& m) {
    m.attr("SPARSE_DENSITY") = gather_below(false);

    m.def(
        "is_binary",
        [](py::array states) {
            return scan_states(states, [](const auto* s, std::int64_t n) { return all_binary(s, n); });
        },
        "Whether every entry of a C-contiguous float32/float64 (n, k) array is 0 or 1 (NaN "
        "is not).",
        py::arg("states"));

    m.def(
        "gibbs_chains",
        [](py::array visible, py::array hidden, py::array weights, py::array visible_bias,
           py::array hidden_bias, double beta, int path, Key key, std::uint64_t first_sweep,
           std::uint64_t chain_offset, std::int64_t n_sweeps) {
            if (n_sweeps < 0) throw py::value_error("n_sweeps: must be >= 0");
            const FieldPath field_path = to_path(path);
            dispatch_float(weights, "weights", [&](auto tag) {
                using T = decltype(tag);
                const ModelView<T> model = model_view<T>(weights, visible_bias, hidden_bias);
                T* v = checked<T>(visible, "visible", {-1, model.n_visible}, true);
                const auto n = visible.shape(0);
                T* h = checked<T>(hidden, "hidden", {n, model.n_hidden}, true);
                check_binary(v, n * model.n_visible, "visible");
                check_chain_range(chain_offset, n);
                if (first_sweep > UINT64_MAX - static_cast<std::uint64_t>(n_sweeps))
                    throw py::value_error("n_sweeps: first_sweep + n_sweeps exceeds 2**64");
                // Stretches of about 2^30 multiply-adds, Ctrl-C checked between them (the
                // sweep counter makes a split run draw the same numbers; each stretch
                // repacks W once, a small share of 2^30 multiply-adds).
                const double per_sweep =
                    2.0 * double(n) * double(model.n_visible) * double(model.n_hidden) + 1.0;
                in_stretches(0, n_sweeps, per_sweep, 1073741824.0,
                             [&](std::int64_t done, std::int64_t todo) {
                    gibbs_chains<T>(v, h, n, model, static_cast<T>(beta), field_path,
                                    to_key(key), first_sweep + done, chain_offset, todo);
                });
            });
        },
        "n_sweeps Gibbs sweeps in place on binary visible; hidden gets the last h.",
        py::arg("visible"), py::arg("hidden"), py::arg("weights"), py::arg("visible_bias"),
        py::arg("hidden_bias"), py::arg("beta"), py::arg("path"), py::arg("key"),
        py::arg("first_sweep"), py::arg("chain_offset"), py::arg("n_sweeps"));

    m.def(
        "chain_gradient",
        [](py::array data, bool data_binary, py::array chains, py::array weights,
           py::array visible_bias, py::array hidden_bias, std::int64_t n_sweeps, Key key,
           std::uint64_t chain_offset, double scale_data, double scale_model,
           std::optional<py::array> visible_offset, std::optional<py::array> hidden_offset,
           py::array grad_w, py::array grad_a, py::array grad_b, py::array mean_h) {
            if (n_sweeps < 0) throw py::value_error("n_sweeps: must be >= 0");
            dispatch_float(weights, "weights", [&](auto tag) {
                using T = decltype(tag);
                const ModelView<T> model = model_view<T>(weights, visible_bias, hidden_bias);
                const auto nv = model.n_visible, nh = model.n_hidden;
                const T* d = checked<T>(data, "data", {-1, nv});
                T* c = checked<T>(chains, "chains", {-1, nv}, true);
                const T* mu = visible_offset ? checked<T>(*visible_offset, "visible_offset", {nv})
                                             : nullptr;
                const T* lam = hidden_offset ? checked<T>(*hidden_offset, "hidden_offset", {nh})
                                             : nullptr;
                const GradientOut<T> out{checked<T>(grad_w, "grad_w", {nv, nh}, true),
                                         checked<T>(grad_a, "grad_a", {nv}, true),
                                         checked<T>(grad_b, "grad_b", {nh}, true),
                                         checked<T>(mean_h, "mean_h", {nh}, true)};
                const auto n_data = data.shape(0), n_chains = chains.shape(0);
                py::gil_scoped_release release;
                chain_gradient<T>(d, n_data, data_binary, c, n_chains, model, n_sweeps,
                                  to_key(key), chain_offset, static_cast<T>(scale_data),
                                  static_cast<T>(scale_model), mu, lam, out);
            });
        },
        "One update's k sweeps of the chains (in place) and its gradient, in one call.",
        py::arg("data"), py::arg("data_binary"), py::arg("chains"), py::arg("weights"),
        py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("n_sweeps"), py::arg("key"),
        py::arg("chain_offset"), py::arg("scale_data"), py::arg("scale_model"),
        py::arg("visible_offset"), py::arg("hidden_offset"), py::arg("grad_w"),
        py::arg("grad_a"), py::arg("grad_b"), py::arg("mean_h"));

    m.def(
        "hidden_chain_update",
        [](py::array v_pos, bool data_binary, py::array h_samples, py::array weights,
           py::array visible_bias, py::array hidden_bias, double learning_rate, Key key,
           std::uint64_t sweep, py::array h_next) {
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
                check_binary(h, n_chains * nh, "h_samples");
                if (data_binary) check_binary(v, n_pos * nv, "v_pos");
                py::gil_scoped_release release;
                hidden_chain_update<T>(v, n_pos, data_binary, h, n_chains, w, a, b, nv, nh,
                                       static_cast<T>(learning_rate), to_key(key), sweep, out);
            });
        },
        "scikit-learn's PCD-1 update on persistent hidden states, in place on the parameters.",
        py::arg("v_pos"), py::arg("data_binary"), py::arg("h_samples"), py::arg("weights"),
        py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("learning_rate"),
        py::arg("key"), py::arg("sweep"), py::arg("h_next"));
}
