#include "energy.hpp"

#include "mathutil.hpp"
#include "parallel.hpp"

namespace pyrbm {

template <typename T>
void energy_from_fields(const T* visible, const T* hidden, const T* fields, std::int64_t n_rows,
                        std::int64_t n_visible, std::int64_t n_hidden, const T* visible_bias,
                        const T* hidden_bias, T beta, T* out) {
    parallel_for(n_rows, [&](std::int64_t c) {
        const T* v = visible + c * n_visible;
        const T* h = hidden + c * n_hidden;
        const T* f = fields + c * n_hidden;
        double total = 0.0;
        for (std::int64_t i = 0; i < n_visible; ++i)
            total += static_cast<double>(visible_bias[i]) * v[i];
        for (std::int64_t j = 0; j < n_hidden; ++j)
            total += (static_cast<double>(hidden_bias[j]) + f[j]) * h[j];
        out[c] = static_cast<T>(-static_cast<double>(beta) * total);
    });
}

template <typename T>
void free_energy_from_fields(const T* visible, const T* fields, std::int64_t n_rows,
                             std::int64_t n_visible, std::int64_t n_hidden,
                             const T* visible_bias, const T* hidden_bias, T beta, T* out) {
    const double b = static_cast<double>(beta);
    parallel_for(n_rows, [&](std::int64_t c) {
        const T* v = visible + c * n_visible;
        const T* f = fields + c * n_hidden;
        double linear = 0.0;
        for (std::int64_t i = 0; i < n_visible; ++i)
            linear += static_cast<double>(visible_bias[i]) * v[i];
        double soft = 0.0;
        for (std::int64_t j = 0; j < n_hidden; ++j)
            soft += softplus<double>(b * (static_cast<double>(hidden_bias[j]) + f[j]));
        out[c] = static_cast<T>(-b * linear - soft);
    });
}

#define PYRBM_INSTANTIATE_ENERGY(T)                                                              \
    template void energy_from_fields<T>(const T*, const T*, const T*, std::int64_t,             \
                                        std::int64_t, std::int64_t, const T*, const T*, T, T*); \
    template void free_energy_from_fields<T>(const T*, const T*, std::int64_t, std::int64_t,    \
                                             std::int64_t, const T*, const T*, T, T*);

PYRBM_INSTANTIATE_ENERGY(float)
PYRBM_INSTANTIATE_ENERGY(double)

}  // namespace pyrbm
