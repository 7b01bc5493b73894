#include "optim.hpp"

#include <algorithm>
#include <cmath>

#include "parallel.hpp"

namespace pyrbm {

// Chunks of values per task: whole cache lines, about 4 per thread at 784 x 1200.
constexpr std::int64_t kAdamChunk = 16384;

template <typename T>
void adam_step(T* param, T* grad, T* m, T* v, std::int64_t n, const AdamConstants<T>& c) {
    const std::int64_t chunks = (n + kAdamChunk - 1) / kAdamChunk;
    // This file is compiled with -ffp-contract=off (CMakeLists.txt; GCC contracts a * b + c
    // into an FMA by default, even under -std=c++17), so every product and sum below is
    // rounded on its own, as NumPy's ufuncs round them.
    const T b1 = c.beta1, c1 = c.one_minus_beta1, b2 = c.beta2, c2 = c.one_minus_beta2;
    const T eps = c.eps, step = c.step;  // locals: no reload after each store
    parallel_for(chunks, [=](std::int64_t chunk) {
        const std::int64_t i0 = chunk * kAdamChunk, i1 = std::min(n, i0 + kAdamChunk);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp simd
#endif
        for (std::int64_t i = i0; i < i1; ++i) {
            const T g = grad[i];
            const T mi = m[i] * b1 + g * c1;
            const T vi = v[i] * b2 + (g * g) * c2;
            const T added = (mi * step) / (std::sqrt(vi) + eps);
            m[i] = mi;
            v[i] = vi;
            grad[i] = added;
            param[i] += added;
        }
    });
}

template void adam_step<float>(float*, float*, float*, float*, std::int64_t,
                               const AdamConstants<float>&);
template void adam_step<double>(double*, double*, double*, double*, std::int64_t,
                                const AdamConstants<double>&);

}  // namespace pyrbm
