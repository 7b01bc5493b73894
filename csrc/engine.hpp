// The sampling and training engine: k Gibbs sweeps of a set of chains, and the data and
// model statistics and gradient of one PCD-k / CD-k / Rdm-k update, each in one call.
//
// Every half-sweep computes its fields by the GEMM (gemm.hpp) or by the gather-add over
// active units (gather.hpp), chosen from the count of ones the previous half-sweep's
// sampler returned (one rule: prefer_gather). For {0, 1} inputs both give the same bits
// (one FMA chain / one sum per entry in ascending order from 0), so the choice is a
// matter of speed only: no path, shard or thread count changes a result.
#pragma once

#include <cstdint>

#include "gather.hpp"  // prefer_gather, the one density rule
#include "rng.hpp"

namespace pyrbm {

enum class FieldPath : int { kAuto = 0, kDense = 1, kSparse = 2 };

// Read-only parameters: weights (n_visible x n_hidden, C-contiguous) and the biases.
template <typename T> struct ModelView {
    const T* weights;
    const T* visible_bias;
    const T* hidden_bias;
    std::int64_t n_visible, n_hidden;
};

// Number of nonzero values of states (n_values), in parallel.
template <typename T> std::int64_t count_ones(const T* states, std::int64_t n_values);

// Whether every value is 0 or 1 (NaN is not), on the calling thread: chunks counted
// without a branch per value, which vectorizes (1000 x 784 float32: 0.18 ms; with an
// early exit per value 1.8 ms).
template <typename T> bool all_binary(const T* states, std::int64_t n_values);

// n_sweeps sweeps v -> h -> v in place on visible (n_chains x n_visible, {0, 1});
// hidden (n_chains x n_hidden) receives the last h. Sweep s of chain c draws from the
// counters (block, first_sweep + s, chain_offset + c, kHidden / kVisible), whatever the
// path: kSparse runs every sweep of a block of chains on one thread (gather-adds only),
// kDense only GEMMs, kAuto picks per half-sweep by prefer_gather.
template <typename T>
void gibbs_chains(T* visible, T* hidden, std::int64_t n_chains, const ModelView<T>& model, T beta,
                  FieldPath path, PhiloxKey key, std::uint64_t first_sweep,
                  std::uint64_t chain_offset, std::int64_t n_sweeps);

// The statistics of one update of the log-likelihood gradient (paper-notes, training):
//   the chains (n_chains x n_visible, in place) run n_sweeps sweeps (gibbs_chains, kAuto);
//   P_d = p(h | data) (n_data rows), P_m = p(h | chains after the sweeps);
//   grad_w = s_d (D - mu)^T (P_d - lam) - s_m (V - mu)^T (P_m - lam)
//   grad_a = s_d sum D - s_m sum V,  grad_b = s_d sum P_d - s_m sum P_m,
//   mean_h = s_d sum P_d
// with D the data, V the chains, mu = visible_offset and lam = hidden_offset (both 0
// when null: the plain gradient). data_binary: whether the data holds only 0 and 1
// (else their fields are always GEMMs). Sums run in a fixed order (thread-count
// independent). grad_w: n_visible x n_hidden; grad_a, grad_b, mean_h: the layer sizes.
template <typename T> struct GradientOut {
    T* grad_w;
    T* grad_a;
    T* grad_b;
    T* mean_h;
};

template <typename T>
void chain_gradient(const T* data, std::int64_t n_data, bool data_binary, T* chains,
                    std::int64_t n_chains, const ModelView<T>& model, std::int64_t n_sweeps,
                    PhiloxKey key, std::uint64_t chain_offset, T scale_data, T scale_model,
                    const T* visible_offset, const T* hidden_offset, const GradientOut<T>& out);

// scikit-learn BernoulliRBM's PCD-1 update (its _fit) in one call, in place on the
// parameters (weights: n_visible x n_hidden, C-contiguous). The persistent states are
// hidden: h_samples (n_chains x n_hidden, {0, 1}). With s = learning_rate / n_pos:
//   V ~ p(v | h_samples)                 (stream kVisible, counter (block, sweep, c))
//   W += s (D^T P_d - V^T P_m),  a += s sum D - s sum V,  b += s sum P_d - s sum P_m
//   h_next ~ Bernoulli(P_m)              (stream kHidden, counter (block, sweep, c))
// with D = v_pos (n_pos rows; data_binary as in chain_gradient) and P_d, P_m as there,
// every term from the parameters before the update: chain_gradient's statistics with
// zero sweeps. The uniforms have float32's layout for both T (8 per block, 24 bits),
// so float32 and float64 fits of the same data draw the same numbers. h_next:
// n_chains x n_hidden.
template <typename T>
void hidden_chain_update(const T* v_pos, std::int64_t n_pos, bool data_binary,
                         const T* h_samples, std::int64_t n_chains, T* weights, T* visible_bias,
                         T* hidden_bias, std::int64_t n_visible, std::int64_t n_hidden,
                         T learning_rate, PhiloxKey key, std::uint64_t sweep, T* h_next);

}  // namespace pyrbm
