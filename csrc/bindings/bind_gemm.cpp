#include "arrays.hpp"
#include "gemm.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

namespace {

// A 2-D view of any strides (e.g. a transposed array), checked for dtype T.
template <typename T> MatrixView<T> view(const py::array& a, const char* name) {
    if (!a.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(std::string(name) + ": expected dtype " +
                             std::string(py::str(py::dtype::of<T>())) + ", got " +
                             std::string(py::str(a.dtype())));
    if (a.ndim() != 2)
        throw py::value_error(std::string(name) + ": expected 2 dimensions, got shape " +
                              shape_string(a));
    const auto size = static_cast<py::ssize_t>(sizeof(T));
    if (a.strides(0) % size != 0 || a.strides(1) % size != 0)
        throw py::value_error(std::string(name) + ": strides must be multiples of the item size");
    return MatrixView<T>{static_cast<const T*>(a.data()), a.shape(0), a.shape(1),
                         a.strides(0) / size, a.strides(1) / size};
}

}  // namespace

void bind_gemm(py::module_& m) {
    m.def(
        "gemm",
        [](py::array a, py::array b, py::array out, bool accumulate) {
            dispatch_float(out, "out", [&](auto tag) {
                using T = decltype(tag);
                const MatrixView<T> va = view<T>(a, "a"), vb = view<T>(b, "b");
                if (vb.rows != va.cols)
                    throw py::value_error("b: dimension 0 must be " + std::to_string(va.cols) +
                                          " (a's columns), got shape " + shape_string(b));
                T* o = checked<T>(out, "out", {va.rows, vb.cols}, true);
                py::gil_scoped_release release;
                gemm<T>(va, vb, o, accumulate);
            });
        },
        "out (=|+=) a @ b on pyrbm's threads; the same bits for any thread count.",
        py::arg("a"), py::arg("b"), py::arg("out"), py::kw_only(), py::arg("accumulate") = false);

    m.def("gemm_tasks", &gemm_tasks,
          "Number of fixed tasks gemm splits an (n x m) output of element size elem_size into.",
          py::arg("n"), py::arg("m"), py::arg("elem_size"));
    m.def("gemm_tile",
          [](std::int64_t elem_size) { return py::make_tuple(gemm_row_tile(), gemm_col_tile(elem_size)); },
          "(rows, columns) of the GEMM's register tile for element size elem_size (fixed by "
          "the build's instruction set).",
          py::arg("elem_size"));
}
