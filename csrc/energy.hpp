// Energies and free energies of binary RBMs, batched over rows, from precomputed
// hidden fields vW (dense GEMM or sparse gather). Accumulation in double.
#pragma once

#include <cstdint>

namespace pyrbm {

// out[c] = beta * E(v_c, h_c) = -beta * (a.v + b.h + sum_j fields[c, j] h[c, j]),
// fields = v W  (n_rows x n_hidden).
template <typename T>
void energy_from_fields(const T* visible, const T* hidden, const T* fields, std::int64_t n_rows,
                        std::int64_t n_visible, std::int64_t n_hidden, const T* visible_bias,
                        const T* hidden_bias, T beta, T* out);

// out[c] = -beta a.v - sum_j softplus(beta (b_j + fields[c, j])), i.e. the free energy
// of p_beta(v) ~ exp(-out) (already multiplied by beta). softplus is the stable form.
template <typename T>
void free_energy_from_fields(const T* visible, const T* fields, std::int64_t n_rows,
                             std::int64_t n_visible, std::int64_t n_hidden,
                             const T* visible_bias, const T* hidden_bias, T beta, T* out);

}  // namespace pyrbm
