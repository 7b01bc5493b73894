#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

#include "arrays.hpp"
#include "gather.hpp"
#include "gibbs.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_gibbs(py::module_& m) {
    m.def(
        "probs_from_fields",
        [](py::array fields, py::array bias, double beta, py::array out) {
            dispatch_float(fields, "fields", [&](auto tag) {
                using T = decltype(tag);
                const T* f = checked<T>(fields, "fields", {-1, -1});
                const auto n = fields.shape(0), k = fields.shape(1);
                const T* b = checked<T>(bias, "bias", {k});
                T* o = checked<T>(out, "out", {n, k}, true);
                py::gil_scoped_release release;
                probs_from_fields<T>(f, n, k, b, static_cast<T>(beta), o);
            });
        },
        py::arg("fields"), py::arg("bias"), py::arg("beta"), py::arg("out"));

    m.def(
        "sample_from_fields",
        [](py::array fields, py::array bias, double beta, Key key, std::uint64_t sweep,
           std::uint64_t chain_offset, std::uint64_t stream, py::array states,
           std::optional<py::array> probs) {
            return dispatch_float(fields, "fields", [&](auto tag) {
                using T = decltype(tag);
                const T* f = checked<T>(fields, "fields", {-1, -1});
                const auto n = fields.shape(0), k = fields.shape(1);
                const T* b = checked<T>(bias, "bias", {k});
                T* s = checked<T>(states, "states", {n, k}, true);
                T* p = probs ? checked<T>(*probs, "probs", {n, k}, true) : nullptr;
                check_chain_range(chain_offset, n);
                const DrawSpec spec{to_key(key), sweep, chain_offset, to_stream(stream)};
                py::gil_scoped_release release;
                return sample_from_fields<T>(f, n, k, b, static_cast<T>(beta), spec, s, p);
            });
        },
        py::arg("fields"), py::arg("bias"), py::arg("beta"), py::arg("key"), py::arg("sweep"),
        py::arg("chain_offset"), py::arg("stream"), py::arg("states"),
        py::arg("probs") = py::none());

    m.def(
        "sparse_fields",
        [](py::array states, py::array rows, py::array out, bool accumulate) {
            dispatch_float(states, "states", [&](auto tag) {
                using T = decltype(tag);
                const T* s = checked<T>(states, "states", {-1, -1});
                const auto n = states.shape(0), n_in = states.shape(1);
                const T* r = checked<T>(rows, "rows", {n_in, -1});
                const auto n_out = rows.shape(1);
                T* o = checked<T>(out, "out", {n, n_out}, true);
                check_binary(s, n * n_in, "states");
                py::gil_scoped_release release;
                gather_rows<T>(s, n, n_in, r, n_out, o, accumulate);
            });
        },
        py::arg("states"), py::arg("rows"), py::arg("out"), py::kw_only(),
        py::arg("accumulate") = false);

    m.def(
        "gibbs_sparse",
        [](py::array visible, py::array hidden, py::array weights, py::array weights_t,
           py::array visible_bias, py::array hidden_bias, double beta, Key key,
           std::uint64_t first_sweep, std::uint64_t chain_offset, std::int64_t n_sweeps) {
            if (n_sweeps < 0) throw py::value_error("n_sweeps: must be >= 0");
            dispatch_float(visible, "visible", [&](auto tag) {
                using T = decltype(tag);
                T* v = checked<T>(visible, "visible", {-1, -1}, true);
                const auto n = visible.shape(0), nv = visible.shape(1);
                const T* w = checked<T>(weights, "weights", {nv, -1});
                const auto nh = weights.shape(1);
                const T* wt = checked<T>(weights_t, "weights_t", {nh, nv});
                T* h = checked<T>(hidden, "hidden", {n, nh}, true);
                const T* a = checked<T>(visible_bias, "visible_bias", {nv});
                const T* b = checked<T>(hidden_bias, "hidden_bias", {nh});
                check_binary(v, n * nv, "visible");
                check_chain_range(chain_offset, n);
                if (first_sweep > UINT64_MAX - static_cast<std::uint64_t>(n_sweeps))
                    throw py::value_error("n_sweeps: first_sweep + n_sweeps exceeds 2**64");
                // Stretches of about 2^27 multiply-adds, Ctrl-C checked between them.
                const double per_sweep = 2.0 * double(n) * double(nv) * double(nh) + 1.0;
                in_stretches(0, n_sweeps, per_sweep, 134217728.0,
                             [&](std::int64_t done, std::int64_t todo) {
                    gibbs_sparse<T>(v, h, n, nv, nh, w, wt, a, b, static_cast<T>(beta),
                                    to_key(key), first_sweep + done, chain_offset, todo);
                });
            });
        },
        py::arg("visible"), py::arg("hidden"), py::arg("weights"), py::arg("weights_t"),
        py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("beta"), py::arg("key"),
        py::arg("first_sweep"), py::arg("chain_offset"), py::arg("n_sweeps"));

    m.def(
        "density",
        [](py::array states) {
            return scan_states(states, [](const auto* s, std::int64_t n) { return density(s, n); });
        },
        py::arg("states"));

    m.def(
        "bernoulli_states",
        [](double p, Key key, std::uint64_t chain_offset, py::array out) {
            dispatch_float(out, "out", [&](auto tag) {
                using T = decltype(tag);
                T* o = checked<T>(out, "out", {-1, -1}, true);
                const auto n = out.shape(0), k = out.shape(1);
                py::gil_scoped_release release;
                bernoulli_states<T>(n, k, static_cast<T>(p), to_key(key), chain_offset, o);
            });
        },
        py::arg("p"), py::arg("key"), py::arg("chain_offset"), py::arg("out"));
}
