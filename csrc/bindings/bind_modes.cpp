#include <pybind11/stl.h>

#include <cmath>
#include <optional>

#include "arrays.hpp"
#include "modes.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_modes(py::module_& m) {
    m.attr("LANGEVIN_BLOCK") = kLangevinBlock;

    m.def(
        "langevin_modes",
        [](py::array x, py::array y, py::array stiffness, py::array coupling, py::array force,
           py::array cubic, py::array quartic, double dt, double diffusion, Key key,
           std::uint64_t first_step, std::int64_t n_steps, std::int64_t record_every,
           py::array moments) {
            if (n_steps < 0) throw py::value_error("n_steps: must be >= 0");
            if (record_every < 1) throw py::value_error("record_every: must be >= 1");
            if (!std::isfinite(dt)) throw py::value_error("dt: must be finite");
            if (!std::isfinite(diffusion)) throw py::value_error("diffusion: must be finite");
            if (!(dt > 0.0)) throw py::value_error("dt: must be > 0");
            if (!(diffusion >= 0.0)) throw py::value_error("diffusion: must be >= 0");
            dispatch_float(x, "x", [&](auto tag) {
                using T = decltype(tag);
                T* px = checked<T>(x, "x", {-1, -1}, true);
                const auto n_modes = x.shape(0), n_traj = x.shape(1);
                T* py_ = checked<T>(y, "y", {n_modes, n_traj}, true);
                const ModePotential<T> pot{
                    checked<T>(stiffness, "stiffness", {n_modes, 2}),
                    checked<T>(coupling, "coupling", {n_modes}),
                    checked<T>(force, "force", {n_modes, 2}),
                    checked<T>(cubic, "cubic", {n_modes, 2}),
                    checked<T>(quartic, "quartic", {n_modes, 2}),
                };
                double* mom = checked<double>(moments, "moments",
                                              {n_modes, n_steps / record_every, 5}, true);
                const LangevinSpec spec{to_key(key), dt, diffusion, first_step, n_steps,
                                        record_every};
                py::gil_scoped_release release;
                langevin_modes<T>(px, py_, n_modes, n_traj, pot, spec, mom);
            });
        },
        py::arg("x"), py::arg("y"), py::arg("stiffness"), py::arg("coupling"), py::arg("force"),
        py::arg("cubic"), py::arg("quartic"), py::arg("dt"), py::arg("diffusion"), py::arg("key"),
        py::arg("first_step"), py::arg("n_steps"), py::arg("record_every"), py::arg("moments"));

    m.def(
        "box_muller",
        [](py::array u, py::array nx, py::array ny) {
            dispatch_float(u, "u", [&](auto tag) {
                using T = decltype(tag);
                const T* pu = checked<T>(u, "u", {-1, 2});
                const auto n = u.shape(0);
                T* px = checked<T>(nx, "nx", {n}, true);
                T* py_ = checked<T>(ny, "ny", {n}, true);
                py::gil_scoped_release release;
                box_muller<T>(pu, n, px, py_);
            });
        },
        py::arg("u"), py::arg("nx"), py::arg("ny"));

    m.def(
        "lowrank_sample_visible",
        [](py::array hidden, py::array v_r, py::array rotation, py::array singular_values,
           py::array u_r_t, py::array visible_bias, double beta, Key key, std::uint64_t sweep,
           std::uint64_t chain_offset, std::uint64_t stream, py::array states,
           std::optional<py::array> probs) {
            return dispatch_float(hidden, "hidden", [&](auto tag) {
                using T = decltype(tag);
                const T* h = checked<T>(hidden, "hidden", {-1, -1});
                const auto n = hidden.shape(0), nh = hidden.shape(1);
                const T* v = checked<T>(v_r, "v_r", {nh, -1});
                const auto rank = v_r.shape(1);
                const T* r = checked<T>(rotation, "rotation", {rank, rank});
                const T* s = checked<T>(singular_values, "singular_values", {rank});
                const T* ut = checked<T>(u_r_t, "u_r_t", {rank, -1});
                const auto nv = u_r_t.shape(1);
                const T* a = checked<T>(visible_bias, "visible_bias", {nv});
                T* out = checked<T>(states, "states", {n, nv}, true);
                T* p = probs ? checked<T>(*probs, "probs", {n, nv}, true) : nullptr;
                const DrawSpec spec{to_key(key), sweep, chain_offset, to_stream(stream)};
                py::gil_scoped_release release;
                return lowrank_sample_visible<T>(h, n, nh, v, rank, r, s, ut, nv, a,
                                                 static_cast<T>(beta), spec, out, p);
            });
        },
        py::arg("hidden"), py::arg("v_r"), py::arg("rotation"), py::arg("singular_values"),
        py::arg("u_r_t"), py::arg("visible_bias"), py::arg("beta"), py::arg("key"),
        py::arg("sweep"), py::arg("chain_offset"), py::arg("stream"), py::arg("states"),
        py::arg("probs") = py::none());
}
