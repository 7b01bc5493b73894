#include <pybind11/stl.h>

#include <vector>

#include "arrays.hpp"
#include "rng.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_rng(py::module_& m) {
    py::dict streams;
    streams["hidden"] = static_cast<std::uint64_t>(Stream::kHidden);
    streams["visible"] = static_cast<std::uint64_t>(Stream::kVisible);
    streams["init_visible"] = static_cast<std::uint64_t>(Stream::kInitVisible);
    streams["langevin"] = static_cast<std::uint64_t>(Stream::kLangevin);
    streams["annealing"] = static_cast<std::uint64_t>(Stream::kAnnealing);
    streams["probing"] = static_cast<std::uint64_t>(Stream::kProbing);
    streams["tempering"] = static_cast<std::uint64_t>(Stream::kTempering);
    streams["test"] = static_cast<std::uint64_t>(Stream::kTest);
    m.attr("STREAMS") = streams;

    m.def(
        "philox4x64_10",
        [](std::vector<std::uint64_t> counter, Key key) {
            if (counter.size() != 4) throw py::value_error("counter: expected 4 words");
            const Philox4x64Block r =
                philox4x64_10(counter[0], counter[1], counter[2], counter[3], to_key(key));
            return std::vector<std::uint64_t>(r.v, r.v + 4);
        },
        py::arg("counter"), py::arg("key"));

    m.def(
        "uniform_row",
        [](py::array out, Key key, std::uint64_t sweep,
           std::uint64_t chain, std::uint64_t stream) {
            dispatch_float(out, "out", [&](auto tag) {
                using T = decltype(tag);
                T* data = checked<T>(out, "out", {-1}, true);
                const auto n = static_cast<std::int64_t>(out.shape(0));
                py::gil_scoped_release release;
                uniform_row<T>(to_key(key), sweep, chain, to_stream(stream), data, n);
            });
        },
        py::arg("out"), py::arg("key"), py::arg("sweep"), py::arg("chain"), py::arg("stream"));
}
