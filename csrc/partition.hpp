// Partition functions of binary RBMs: exact log Z by Gray-code enumeration of one layer,
// and annealed importance sampling (forward AIS and reverse AIS share one kernel).
#pragma once

#include <cstdint>

#include "rng.hpp"

namespace pyrbm {

// log sum over s in {0,1}^K of exp(beta * (bias . s) + sum_l softplus(beta * (other_bias_l
// + (s rows)_l))), i.e. log Z of the RBM with the enumerated layer's couplings in `rows`
// (K x L, row k = couplings of enumerated unit k to the L units of the other layer, which
// are summed out analytically). States are visited in Gray-code order inside fixed blocks
// of 2^block_bits states (each step adds or subtracts one row of the fields), blocks run in
// parallel; fields and sums are float64 and the per-block log-sum-exps are combined in
// block order, so the result does not depend on the thread count. K <= 62.
template <typename T>
double log_z_enumerate(const T* rows, std::int64_t n_enum, std::int64_t n_other, const T* bias,
                       const T* other_bias, double beta);

// A binary RBM's parameters as the annealing kernel reads them. weights: n_visible x n_hidden,
// weights_t its transpose; with n_hidden == 0 (a base model of independent visible units)
// only visible_bias is read.
template <typename T> struct RbmView {
    const T* weights;
    const T* weights_t;
    const T* visible_bias;
    const T* hidden_bias;
    std::int64_t n_hidden;
};

// Annealed importance sampling between a base model A and the model B over the marginals
//   p_k(v) ~ exp(-coef_base[k] F_A(v) - coef_model[k] F_B(v)),
//   -F(v) = a.v + sum_j softplus(b_j + (v W)_j)   (coefficients scale a, b and W),
// for k = 0..n_steps-1 (the schedule; coef_base = 1 - s_k, coef_model = beta * s_k).
// For every chain c: log_weights[c] = sum_{k>=1} log p_k*(v_k) - log p_{k-1}*(v_k), where
// v_1 is the initial state (drawn from A if draw_initial, which needs A without hidden
// units, else read from visible) and v_{k+1} = T_k(v_k), T_k one blocked Gibbs sweep
// (h_A, h_B) -> v leaving p_k invariant (interior steps only). Final states stay in visible.
// Random numbers: Philox stream kAnnealing, counter (unit block, sweep, chain_offset + c)
// with sweep 2k for h_B, 2k + 1 for v, 2k | 2^63 for h_A at step k (sweep 1: the initial
// draw), so results are independent of the thread count. Fields are gather-adds of rows
// of W (states are binary).
// Only the steps k in [first_step, end_step) run (1 <= first_step <= end_step <=
// n_steps): a run split into consecutive ranges equals one run over [1, n_steps) (the
// initial draw and the reset of log_weights belong to first_step == 1; later ranges add
// to log_weights), which lets the caller check for Ctrl-C between ranges.
struct AnnealSpec {
    const double* coef_base;
    const double* coef_model;
    std::int64_t n_steps;
    PhiloxKey key;
    std::uint64_t chain_offset;
    bool draw_initial;
    std::int64_t first_step;
    std::int64_t end_step;
};

template <typename T>
void anneal(T* visible, std::int64_t n_chains, std::int64_t n_visible, const RbmView<T>& model,
            const RbmView<T>& base, const AnnealSpec& spec, double* log_weights);

// Vectorizable softplus in double to ~1e-15 relative (exposed for the tests).
double softplus_fast(double x);

}  // namespace pyrbm
