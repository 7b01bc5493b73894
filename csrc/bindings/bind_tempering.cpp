#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>

#include "arrays.hpp"
#include "tempering.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

namespace {

template <typename I>
I* checked_int(const py::array& a, const char* name, py::ssize_t size, bool writable) {
    if (!a.dtype().equal(py::dtype::of<I>()))
        throw py::type_error(std::string(name) + ": expected dtype " +
                             std::string(py::str(py::dtype::of<I>())) + ", got " +
                             std::string(py::str(a.dtype())));
    if (a.ndim() != 1 || a.shape(0) != size)
        throw py::value_error(std::string(name) + ": expected shape (" + std::to_string(size) +
                              ",), got " + shape_string(a));
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(name) + ": array must be C-contiguous");
    if (writable && !a.writeable()) throw py::value_error(std::string(name) + ": must be writable");
    return static_cast<I*>(const_cast<void*>(a.data()));
}

}  // namespace

void bind_tempering(py::module_& m) {
    m.def(
        "tempering_sweeps",
        [](py::array visible, py::array hidden, py::array fields_h, py::array fields_v,
           py::array weights, py::array weights_t, py::array visible_bias,
           py::array hidden_bias, py::array model, py::array betas, py::array walker,
           py::array direction, py::array attempts, py::array accepts, py::array round_trips,
           Key key, std::uint64_t first_sweep, std::int64_t n_sweeps, std::int64_t swap_every) {
            if (n_sweeps < 0) throw py::value_error("n_sweeps: must be >= 0");
            if (swap_every < 0) throw py::value_error("swap_every: must be >= 0");
            dispatch_float(visible, "visible", [&](auto tag) {
                using T = decltype(tag);
                T* v = checked<T>(visible, "visible", {-1, -1}, true);
                const auto rows = visible.shape(0), nv = visible.shape(1);
                const T* w = checked<T>(weights, "weights", {-1, nv, -1});
                const auto n_models = weights.shape(0), nh = weights.shape(2);
                const T* wt = checked<T>(weights_t, "weights_t", {n_models, nh, nv});
                const T* a = checked<T>(visible_bias, "visible_bias", {n_models, nv});
                const T* b = checked<T>(hidden_bias, "hidden_bias", {n_models, nh});
                T* h = checked<T>(hidden, "hidden", {rows, nh}, true);
                T* fh = checked<T>(fields_h, "fields_h", {rows, nh}, true);
                T* fv = checked<T>(fields_v, "fields_v", {rows, nv}, true);
                const double* bt = checked<double>(betas, "betas", {-1});
                const auto n_slots = betas.shape(0);
                if (n_slots < 1 || rows % n_slots != 0)
                    throw py::value_error("visible: the number of rows must be a multiple of "
                                          "the number of slots");
                const auto n = rows / n_slots;
                const auto* mdl = checked_int<std::int64_t>(model, "model", n_slots, false);
                for (py::ssize_t k = 0; k < n_slots; ++k)
                    if (mdl[k] < 0 || mdl[k] >= n_models)
                        throw py::value_error("model: index out of range");
                auto* wk = checked_int<std::int64_t>(walker, "walker", rows, true);
                for (py::ssize_t r = 0; r < rows; ++r)
                    if (wk[r] < 0 || wk[r] >= rows)
                        throw py::value_error("walker: id out of range");
                auto* dir = checked_int<std::int8_t>(direction, "direction", rows, true);
                const auto n_pairs = n_slots > 1 ? n_slots - 1 : 0;
                auto* att = checked_int<std::int64_t>(attempts, "attempts", n_pairs, true);
                auto* acc = checked_int<std::int64_t>(accepts, "accepts", n_pairs, true);
                auto* trips = checked_int<std::int64_t>(round_trips, "round_trips", n, true);
                const TemperingLadder<T> ladder{n_slots, n, nv, nh, w, wt, a, b, mdl, bt};
                const TemperingCounters counters{wk, dir, att, acc, trips};
                if (first_sweep > UINT64_MAX - static_cast<std::uint64_t>(n_sweeps))
                    throw py::value_error("n_sweeps: first_sweep + n_sweeps exceeds 2**64");
                // Blocks of about 2^27 multiply-adds, Ctrl-C checked between them: the
                // counters (sweep, swap event) are global and the walker / round-trip
                // state lives in the arrays, so a split run is bit-identical.
                const double per_sweep = 2.0 * double(rows) * double(nv) * double(nh) + 1.0;
                in_stretches(0, n_sweeps, per_sweep, 134217728.0,
                             [&](std::int64_t done, std::int64_t todo) {
                    tempering_sweeps<T>(v, h, fh, fv, ladder, counters, to_key(key),
                                        first_sweep + static_cast<std::uint64_t>(done), todo,
                                        swap_every);
                });
            });
        },
        py::arg("visible"), py::arg("hidden"), py::arg("fields_h"), py::arg("fields_v"),
        py::arg("weights"), py::arg("weights_t"), py::arg("visible_bias"),
        py::arg("hidden_bias"), py::arg("model"), py::arg("betas"), py::arg("walker"),
        py::arg("direction"), py::arg("attempts"), py::arg("accepts"), py::arg("round_trips"),
        py::arg("key"), py::arg("first_sweep"), py::arg("n_sweeps"), py::arg("swap_every"));

    m.def(
        "joint_energy",
        [](py::array v, py::array h, py::array weights, py::array visible_bias,
           py::array hidden_bias) {
            return dispatch_float(v, "v", [&](auto tag) {
                using T = decltype(tag);
                const T* w = checked<T>(weights, "weights", {-1, -1});
                const auto nv = weights.shape(0), nh = weights.shape(1);
                const T* vv = checked<T>(v, "v", {nv});
                const T* hh = checked<T>(h, "h", {nh});
                const T* a = checked<T>(visible_bias, "visible_bias", {nv});
                const T* b = checked<T>(hidden_bias, "hidden_bias", {nh});
                return joint_energy<T>(vv, hh, nv, nh, w, a, b);
            });
        },
        py::arg("v"), py::arg("h"), py::arg("weights"), py::arg("visible_bias"),
        py::arg("hidden_bias"));
}
