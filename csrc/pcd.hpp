// One PCD-1 update of scikit-learn's BernoulliRBM algorithm on binary data, in one call.
#pragma once

#include <cstdint>

#include "rng.hpp"

namespace pyrbm {

// With P the hidden probabilities and s = learning_rate / n_pos:
//   v_neg ~ p(v | h_samples)                  (stream kVisible, counter `sweep`, chain c)
//   h_neg = P(v_neg),  h_next ~ Bernoulli(h_neg)   (stream kHidden, counter `sweep`)
//   h_pos = P(v_pos)
//   W += s (v_pos^T h_pos - v_neg^T h_neg),  b += s (sum h_pos - sum h_neg),
//   a += s (sum v_pos - sum v_neg)
// every term from the parameters before the update. v_pos (n_pos x n_visible) and
// h_samples (n_chains x n_hidden) must hold only 0 and 1: the products are gather-adds
// over their active units (pyrbm::gather_rows), summed in a fixed order, so the result
// does not depend on the thread count. h_next: n_chains x n_hidden.
template <typename T>
void pcd_update(const T* v_pos, std::int64_t n_pos, const T* h_samples, std::int64_t n_chains,
                std::int64_t n_visible, std::int64_t n_hidden, T* weights, T* visible_bias,
                T* hidden_bias, T learning_rate, PhiloxKey key, std::uint64_t sweep, T* h_next);

}  // namespace pyrbm
