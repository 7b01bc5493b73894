// Optimizer steps over parameter arrays, elementwise and in place.
#pragma once

#include <cstdint>

namespace pyrbm {

// The constants of one Adam step, already rounded to T by the caller exactly as the
// NumPy reference (pyrbm/training/optim.py) rounds them.
template <typename T> struct AdamConstants {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step;
};

// One Adam ascent step on n values, in one pass (the NumPy reference makes nine):
//   m = m * beta1 + g * (1 - beta1);   v = v * beta2 + (g * g) * (1 - beta2);
//   param += (m * step) / (sqrt(v) + eps)
// each operation rounded to T in this order, without contraction into FMAs, so the
// result equals the NumPy reference bit for bit. grad is left as the added step.
template <typename T>
void adam_step(T* param, T* grad, T* m, T* v, std::int64_t n, const AdamConstants<T>& c);

}  // namespace pyrbm
