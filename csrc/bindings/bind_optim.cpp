#include "arrays.hpp"
#include "optim.hpp"

namespace py = pybind11;
using namespace pyrbm;
using namespace pyrbm::bindings;

void bind_optim(py::module_& m) {
    m.def(
        "adam_step",
        [](py::array param, py::array grad, py::array m1, py::array m2, double beta1,
           double one_minus_beta1, double beta2, double one_minus_beta2, double eps,
           double step) {
            dispatch_float(param, "param", [&](auto tag) {
                using T = decltype(tag);
                const py::ssize_t n = param.size();
                // Any shape of param's size, checked on the array itself (a reshaped
                // copy of a strided array would take the step instead of it).
                auto flat = [&](const py::array& a, const char* name) {
                    check_dtype<T>(a, name);
                    if (a.size() != n)
                        throw py::value_error(std::string(name) + ": expected " +
                                              std::to_string(n) + " values like param, got shape " +
                                              shape_string(a));
                    return checked_data<T>(a, name, true);
                };
                T* p = flat(param, "param");
                T* g = flat(grad, "grad");
                T* a = flat(m1, "m");
                T* b = flat(m2, "v");
                const AdamConstants<T> c{static_cast<T>(beta1), static_cast<T>(one_minus_beta1),
                                         static_cast<T>(beta2), static_cast<T>(one_minus_beta2),
                                         static_cast<T>(eps), static_cast<T>(step)};
                py::gil_scoped_release release;
                adam_step<T>(p, g, a, b, n, c);
            });
        },
        py::arg("param"), py::arg("grad"), py::arg("m"), py::arg("v"), py::arg("beta1"),
        py::arg("one_minus_beta1"), py::arg("beta2"), py::arg("one_minus_beta2"), py::arg("eps"),
        py::arg("step"),
        "One in-place Adam ascent step on C-contiguous arrays of one dtype and size; the "
        "constants are rounded to that dtype. Bit-identical to pyrbm.training.optim's NumPy "
        "reference.");
}
