// Tempered blocked Gibbs sampling: S slots, each a (model, inverse temperature) pair, with
// n_replicas chains per slot, and replica-exchange swaps between adjacent slots.
//   parallel tempering: one model, slots = a ladder of betas ending at 1;
//   trajectory tempering: slots = the models saved along a training run, beta = 1.
// States are (S * n_replicas) x n_units, slot-major: row k * n_replicas + c is replica c of
// slot k. Swaps exchange the joint states (v, h) of replica c between slots k and k + 1.
#pragma once

#include <cstdint>

#include "rng.hpp"

namespace pyrbm {

// The models and ladder of a tempered run (arrays owned by the caller).
template <typename T> struct TemperingLadder {
    std::int64_t n_slots, n_replicas, n_visible, n_hidden;
    const T* weights;            // n_models x n_visible x n_hidden
    const T* weights_t;          // n_models x n_hidden x n_visible (the transposes)
    const T* visible_bias;       // n_models x n_visible
    const T* hidden_bias;        // n_models x n_hidden
    const std::int64_t* model;   // n_slots: the model index of each slot
    const double* betas;         // n_slots: the inverse temperature of each slot
};

// The mutable state of a run besides the chains.
struct TemperingCounters {
    std::int64_t* walker;        // S * n_replicas: id of the walker in each row
    std::int8_t* direction;      // S * n_replicas, by walker id: 0 none, 1 left the bottom
                                 // slot last, 2 reached the top slot since then
    std::int64_t* attempts;      // n_slots - 1: swap attempts of each adjacent pair
    std::int64_t* accepts;       // n_slots - 1: accepted swaps of each pair
    std::int64_t* round_trips;   // n_replicas: completed bottom -> top -> bottom trips
};

// Joint energy E_m(v, h) = -(a_m.v + b_m.h + v W_m h) (beta = 1) of binary states, double
// accumulation in a fixed order; W_m is n_visible x n_hidden.
template <typename T>
double joint_energy(const T* v, const T* h, std::int64_t n_visible, std::int64_t n_hidden,
                    const T* weights, const T* visible_bias, const T* hidden_bias);

// n_sweeps sweeps v -> h -> v of every chain at its slot's (model, beta), sweep
// first_sweep + s drawing from counters (block, sweep, row, kHidden / kVisible) like
// RBM.gibbs; after each sweep with (sweep + 1) % swap_every == 0 (swap_every > 0) one swap
// event e = (sweep + 1) / swap_every - 1 tries the pairs (k, k + 1) with k % 2 == e % 2
// (deterministic even-odd scheme) for every replica c, accepting with probability
// min(1, exp(beta_k (E_k(x) - E_k(y)) + beta_{k+1} (E_{k+1}(y) - E_{k+1}(x)))), x the
// state at k, y at k + 1, against the uniform at counter (k, e, c, kTempering). Results
// do not depend on the thread count: each thread runs a block of replica columns through
// all the sweeps. fields_h (rows x n_hidden) and fields_v (rows x n_visible) are scratch.
template <typename T>
void tempering_sweeps(T* visible, T* hidden, T* fields_h, T* fields_v,
                      const TemperingLadder<T>& ladder, TemperingCounters counters,
                      PhiloxKey key, std::uint64_t first_sweep, std::int64_t n_sweeps,
                      std::int64_t swap_every);

}  // namespace pyrbm
