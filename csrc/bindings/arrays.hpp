// Argument checks shared by the bindings. The Python layer validates first and gives
// the friendlier message; these cheap re-checks keep a direct _core call from reading
// out of bounds. Every error names the argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "engine.hpp"  // all_binary
#include "rng.hpp"

namespace pyrbm::bindings {

namespace py = pybind11;

inline std::string shape_string(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
        if (d) s += ", ";
        s += std::to_string(a.shape(d));
    }
    return s + (a.ndim() == 1 ? ",)" : ")");
}

// Checks dtype == T (the error names a).
template <typename T> void check_dtype(const py::array& a, const char* name) {
    if (!py::dtype::of<T>().is(a.dtype()) && !a.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(std::string(name) + ": expected dtype " +
                             std::string(py::str(py::dtype::of<T>())) + ", got " +
                             std::string(py::str(a.dtype())));
}

// Checks C-contiguity (and writability) and returns the data.
template <typename T> T* checked_data(const py::array& a, const char* name, bool writable) {
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(name) + ": array must be C-contiguous");
    if (writable && !a.writeable())
        throw py::value_error(std::string(name) + ": array must be writable");
    return static_cast<T*>(const_cast<void*>(a.data()));
}

// Checks dtype == T, C-contiguity, ndim and the given extents (-1: any) and returns the data.
template <typename T>
T* checked(const py::array& a, const char* name, std::initializer_list<py::ssize_t> shape,
           bool writable = false) {
    check_dtype<T>(a, name);
    if (a.ndim() != static_cast<py::ssize_t>(shape.size()))
        throw py::value_error(std::string(name) + ": expected " + std::to_string(shape.size()) +
                              " dimensions, got shape " + shape_string(a));
    py::ssize_t d = 0;
    for (py::ssize_t extent : shape) {
        if (extent >= 0 && a.shape(d) != extent)
            throw py::value_error(std::string(name) + ": dimension " + std::to_string(d) +
                                  " must be " + std::to_string(extent) + ", got shape " +
                                  shape_string(a));
        ++d;
    }
    return checked_data<T>(a, name, writable);
}

inline bool is_float32(const py::array& a) { return a.dtype().equal(py::dtype::of<float>()); }
inline bool is_float64(const py::array& a) { return a.dtype().equal(py::dtype::of<double>()); }

// Calls f.template operator()<T>() for T = float or double, from the dtype of a.
template <typename F> auto dispatch_float(const py::array& a, const char* name, F&& f) {
    if (is_float32(a)) return f(float{});
    if (is_float64(a)) return f(double{});
    throw py::type_error(std::string(name) + ": expected float32 or float64, got " +
                         std::string(py::str(a.dtype())));
}

// f(data, size) on a C-contiguous float32/float64 (n, k) array `states`, without the GIL
// (the scans over states: density, is_binary).
template <typename F> auto scan_states(const py::array& states, F&& f) {
    return dispatch_float(states, "states", [&](auto tag) {
        using T = decltype(tag);
        const T* s = checked<T>(states, "states", {-1, -1});
        const auto n = static_cast<std::int64_t>(states.size());
        py::gil_scoped_release release;
        return f(s, n);
    });
}

// Refuses states other than 0 and 1 (the sparse kernels treat any nonzero as 1).
template <typename T> void check_binary(const T* s, py::ssize_t n, const char* name) {
    if (!all_binary<T>(s, n))
        throw py::value_error(std::string(name) + ": states must be binary (0 or 1)");
}

// Refuses n_rows rows from chain_offset when the last index would wrap the uint64 counter.
inline void check_chain_range(std::uint64_t chain_offset, py::ssize_t n_rows) {
    if (n_rows > 0 && chain_offset > UINT64_MAX - static_cast<std::uint64_t>(n_rows - 1))
        throw py::value_error("chain_offset: chain_offset + n_chains exceeds 2**64");
}

// Raises KeyboardInterrupt (or the pending signal's exception) in the calling thread;
// call with the GIL held, between blocks of a long kernel.
inline void check_signals() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// Runs body(first, count) over the items [begin, end) in stretches of about `budget`
// multiply-adds (`per_item` each): the GIL released inside a stretch, Ctrl-C checked
// between stretches. Kernels whose counters are global (sweep or step index) draw the
// same numbers split or not, so a split run is bit-identical. Call with the GIL held.
template <typename Body>
inline void in_stretches(std::int64_t begin, std::int64_t end, double per_item, double budget,
                         Body&& body) {
    const std::int64_t chunk =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(budget / per_item));
    for (std::int64_t first = begin; first < end; first += chunk) {
        const std::int64_t count = std::min(chunk, end - first);
        {
            py::gil_scoped_release release;
            body(first, count);
        }
        check_signals();
    }
}

// A 128-bit Philox key as Python passes it: (k0, k1).
using Key = std::pair<std::uint64_t, std::uint64_t>;

inline PhiloxKey to_key(Key key) {
    return PhiloxKey{key.first, key.second};
}

inline Stream to_stream(std::uint64_t id) { return static_cast<Stream>(id); }

}  // namespace pyrbm::bindings
