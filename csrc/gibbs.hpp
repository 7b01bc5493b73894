// Blocked Gibbs sampling of binary RBMs: fused bias + sigmoid + Bernoulli passes over
// precomputed fields (dense path, the fields come from a BLAS GEMM) and gather-add
// fields for {0,1} states (sparse path). Arrays are C-contiguous, row = chain.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "rng.hpp"

namespace pyrbm {

// Which random numbers a half-sweep uses: counter = (unit block, sweep, chain_offset + row, stream).
struct DrawSpec {
    PhiloxKey key;
    std::uint64_t sweep;
    std::uint64_t chain_offset;
    Stream stream;
};

// probs[c, j] = sigmoid(beta * (fields[c, j] + bias[j])). probs may alias fields.
template <typename T>
void probs_from_fields(const T* fields, std::int64_t n_chains, std::int64_t n_units, const T* bias,
                       T beta, T* probs);

// states[c, j] = 1 if u[c, j] < sigmoid(beta * (fields[c, j] + bias[j])) else 0, with u
// from Philox at spec's counter in the layout of type U (U = float for T = double: the
// float32 uniforms, so that both precisions draw the same numbers). If probs is not
// null it receives the probabilities (probs may alias fields). Returns the number of
// ones drawn (the density the next half-sweep's path choice needs).
template <typename T, typename U = T>
std::int64_t sample_from_fields(const T* fields, std::int64_t n_chains, std::int64_t n_units,
                        const T* bias, T beta, const DrawSpec& spec, T* states, T* probs);

// fields[c, :] = sum over i with states[c, i] != 0 of rows[i, :]  (rows: n_in x n_out).
// Summation in ascending i, so the result is independent of the thread count.
template <typename T>
void sparse_fields(const T* states, std::int64_t n_chains, std::int64_t n_in, const T* rows,
                   std::int64_t n_out, T* fields);

template <typename T> class PackedRight;

// The four weight layouts of a sweep: W padded and W^T padded for the gather-adds
// (v -> h and h -> v), W and W^T packed for the GEMMs.
enum class Layout : int { kPadded = 0, kPaddedT = 1, kPacked = 2, kPackedT = 3 };

// Layouts filled on demand: build(layout) runs once per layout, by the first block whose
// half-sweep takes that path, so a sweep whose v -> h always gathers and whose h -> v
// always multiplies never builds the other two (each is a pass over W).
struct LazyLayouts {
    std::once_flag once[4];
    std::function<void(Layout)> build;
};

// The weights as the block-local sweeps use them: weights (n_visible rows of stride
// ld_hidden >= n_hidden) and weights_t (its transpose, n_hidden rows of stride
// ld_visible >= n_visible, any padding columns 0) for the gather-adds, packed and
// packed_t (W and W^T packed for gemm_serial) for GEMMs; either pair may be null (that
// path is then never taken). The fields of a block are kept at those strides. With lazy,
// the given pointers are the layouts' places, filled by lazy->build before first use.
template <typename T> struct BlockWeights {
    const T* weights;
    const T* weights_t;
    const PackedRight<T>* packed;
    const PackedRight<T>* packed_t;
    std::int64_t ld_hidden, ld_visible;
    LazyLayouts* lazy = nullptr;
};

// n_sweeps full sweeps v -> h -> v in place on visible, in blocks of chains spread over
// the threads, half-sweep-major (every block's v -> h, then every block's h -> v: one
// weight layout at a time stays in L2). Each half-sweep of a block computes its fields by the gather-add when the
// block's count of input ones passes prefer_gather (gather.hpp) and both pairs are
// given, else by whichever pair is given: the same bits either way for {0, 1} states.
// hidden receives the last h. Counters as in gibbs_sparse.
template <typename T>
void gibbs_blocks(T* visible, T* hidden, std::int64_t n_chains, std::int64_t n_visible,
                  std::int64_t n_hidden, const BlockWeights<T>& weights, const T* visible_bias,
                  const T* hidden_bias, T beta, PhiloxKey key, std::uint64_t first_sweep,
                  std::uint64_t chain_offset, std::int64_t n_sweeps);

// n_sweeps full sweeps v -> h -> v on every chain with the sparse path, in place on
// visible (n_chains x n_visible); hidden (n_chains x n_hidden) receives the last h.
// weights: n_visible x n_hidden, weights_t: its transpose. Sweep s uses counters
// (block, first_sweep + s, chain_offset + c, kHidden / kVisible), the same numbers the
// dense path draws.
template <typename T>
void gibbs_sparse(T* visible, T* hidden, std::int64_t n_chains, std::int64_t n_visible,
                  std::int64_t n_hidden, const T* weights, const T* weights_t,
                  const T* visible_bias, const T* hidden_bias, T beta, PhiloxKey key,
                  std::uint64_t first_sweep, std::uint64_t chain_offset, std::int64_t n_sweeps);

// Fraction of nonzero entries of a state array, computed in parallel.
template <typename T> double density(const T* states, std::int64_t n_values);

// states[c, j] = 1 with probability p (one uniform per unit from stream kInitVisible).
template <typename T>
void bernoulli_states(std::int64_t n_chains, std::int64_t n_units, T p, PhiloxKey key,
                      std::uint64_t chain_offset, T* states);

}  // namespace pyrbm
