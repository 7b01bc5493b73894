#include "gibbs.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "gather.hpp"
#include "gemm.hpp"
#include "layout.hpp"
#include "mathutil.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

// One row of the fused pass. u is scratch of n_units uniforms in the layout of U.
template <typename T, typename U = T>
inline std::int64_t sample_row(const T* fields, std::int64_t n_units, const T* bias, T beta,
                       PhiloxKey key, std::uint64_t sweep, std::uint64_t chain, Stream stream,
                       U* u, T* states, T* probs) {
    uniform_row<U>(key, sweep, chain, stream, u, n_units);
    std::int64_t ones = 0;
    if (probs != nullptr) {
        for (std::int64_t j = 0; j < n_units; ++j) {
            const T p = sigmoid<T>(beta * (fields[j] + bias[j]));
            probs[j] = p;
            states[j] = static_cast<T>(u[j]) < p ? T(1) : T(0);
            ones += static_cast<T>(u[j]) < p;
        }
    } else {
        for (std::int64_t j = 0; j < n_units; ++j) {
            const T p = sigmoid<T>(beta * (fields[j] + bias[j]));
            states[j] = static_cast<T>(u[j]) < p ? T(1) : T(0);
            ones += static_cast<T>(u[j]) < p;
        }
    }
    return ones;
}

// Chains are processed in blocks: the active-unit lists of a whole block are built
// first, then each column tile of the weight rows is streamed once per block from L2
// instead of once per chain (gather.hpp's gather_rows_serial). Two GEMM register
// tiles (gemm.hpp) per block on AVX-512 (28 chains; 1000 chains make 36 blocks), five
// of AVX2's 6-row tiles (30 chains) so that a block still reuses each weight tile
// across as many chains.
constexpr std::int64_t kChainBlock = (kGemmRowTile >= 14 ? 2 : 5) * kGemmRowTile;

struct GatherScratch {
    std::vector<std::int32_t> index;  // active-unit lists, n_in + 1 slots per chain
    std::vector<std::int64_t> count;
    void reserve(std::int64_t n_in) {
        index.resize(static_cast<std::size_t>(kChainBlock * (n_in + 1)));
        count.resize(static_cast<std::size_t>(kChainBlock));
    }
    bool ready(std::int64_t n_in) const {
        return index.size() == static_cast<std::size_t>(kChainBlock * (n_in + 1));
    }
};

// fields[c, :] = sum of rows[i, :] over the nonzero states[c, i] for one block of chains.
template <typename T>
void gather_block(const T* states, std::int64_t n_block, std::int64_t n_in, const T* rows,
                  std::int64_t n_out, T* fields, GatherScratch& scratch) {
    gather_rows_serial<T>(states, n_block, n_in, rows, n_out, fields, false,
                          scratch.index.data(), scratch.count.data());
}

inline std::int64_t n_chain_blocks(std::int64_t n_chains) {
    return (n_chains + kChainBlock - 1) / kChainBlock;
}

}  // namespace

template <typename T>
void probs_from_fields(const T* fields, std::int64_t n_chains, std::int64_t n_units, const T* bias,
                       T beta, T* probs) {
    parallel_for(n_chains, [&](std::int64_t c) {
        const T* f = fields + c * n_units;
        T* p = probs + c * n_units;
        for (std::int64_t j = 0; j < n_units; ++j) p[j] = sigmoid<T>(beta * (f[j] + bias[j]));
    });
}

template <typename T, typename U>
std::int64_t sample_from_fields(const T* fields, std::int64_t n_chains, std::int64_t n_units,
                                const T* bias, T beta, const DrawSpec& spec, T* states,
                                T* probs) {
    FirstError errors;
    std::int64_t ones = 0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        std::vector<U> u;
        errors.capture([&] { u.resize(static_cast<std::size_t>(n_units)); });
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static) reduction(+ : ones)
#endif
        for (std::int64_t c = 0; c < n_chains; ++c) {
            if (u.size() != static_cast<std::size_t>(n_units)) continue;
            ones += sample_row<T, U>(fields + c * n_units, n_units, bias, beta, spec.key, spec.sweep,
                          spec.chain_offset + static_cast<std::uint64_t>(c), spec.stream, u.data(),
                          states + c * n_units, probs ? probs + c * n_units : nullptr);
        }
    }
    errors.rethrow();
    return ones;
}

template <typename T>
void sparse_fields(const T* states, std::int64_t n_chains, std::int64_t n_in, const T* rows,
                   std::int64_t n_out, T* fields) {
    FirstError errors;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        GatherScratch scratch;
        errors.capture([&] { scratch.reserve(n_in); });
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t blk = 0; blk < n_chain_blocks(n_chains); ++blk) {
            if (!scratch.ready(n_in)) continue;
            const std::int64_t c0 = blk * kChainBlock;
            const std::int64_t n_block = std::min(kChainBlock, n_chains - c0);
            gather_block(states + c0 * n_in, n_block, n_in, rows, n_out, fields + c0 * n_out,
                         scratch);
        }
    }
    errors.rethrow();
}

template <typename T>
void gibbs_blocks(T* visible, T* hidden, std::int64_t n_chains, std::int64_t n_visible,
                  std::int64_t n_hidden, const BlockWeights<T>& w, const T* visible_bias,
                  const T* hidden_bias, T beta, PhiloxKey key, std::uint64_t first_sweep,
                  std::uint64_t chain_offset, std::int64_t n_sweeps) {
    const std::int64_t ld_h = w.ld_hidden, ld_v = w.ld_visible;
    const std::int64_t widest = std::max(ld_h, ld_v);
    const bool can_gather = w.weights != nullptr && w.weights_t != nullptr;
    const bool can_gemm = w.packed != nullptr && w.packed_t != nullptr;
    const bool padded_h = can_gather && padded_rows(w.weights, ld_h);
    const bool padded_v = can_gather && padded_rows(w.weights_t, ld_v);
    const std::int64_t n_blocks = n_chain_blocks(n_chains);
    // Each block's count of ones of its input, from the last half-sweep's sampler.
    std::vector<std::int64_t> block_ones(static_cast<std::size_t>(n_blocks));
    std::atomic<bool> failed{false};  // a layout that could not be built
    FirstError errors;
    // Before a half-sweep: its layout, built by the first block that needs it (false if
    // building it failed: the error is rethrown after the loop).
    auto layout_ready = [&](bool gather, bool to_hidden) {
        if (w.lazy == nullptr) return true;
        const Layout layout = gather ? (to_hidden ? Layout::kPadded : Layout::kPaddedT)
                                     : (to_hidden ? Layout::kPacked : Layout::kPackedT);
        bool built = false;
        errors.capture([&] {
            std::call_once(w.lazy->once[static_cast<int>(layout)], w.lazy->build, layout);
            built = true;
        });
        return built;
    };
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        GatherScratch scratch;
        std::vector<T> fields, u, packed_rows;
        errors.capture([&] {
            scratch.reserve(std::max(n_visible, n_hidden));
            fields.resize(static_cast<std::size_t>(kChainBlock * widest + 64 / sizeof(T)));
            u.resize(static_cast<std::size_t>(widest));
            if (can_gemm)
                packed_rows.resize(
                    static_cast<std::size_t>(std::max(n_visible, n_hidden) * kChainBlock));
        });
        const bool ready = scratch.ready(std::max(n_visible, n_hidden)) &&
                           u.size() == static_cast<std::size_t>(widest) &&
                           (!can_gemm || !packed_rows.empty());
        T* const f = ready ? aligned64(fields, kChainBlock * widest) : nullptr;
        // Half-sweep-major: every block's v -> h before any block's h -> v, so that one
        // weight layout (W, then W^T: 1.6 MB each at 784 x 500 float32) stays in L2 for a
        // whole half instead of the two evicting each other at every block (together they
        // exceed a 2 MB L2). Each block's numbers depend only on its chains and counters,
        // so the order does not change a bit. Blocks are handed out dynamically.
        auto half = [&](std::int64_t blk, std::uint64_t sweep, bool to_hidden) {
            const std::int64_t c0 = blk * kChainBlock;
            const std::int64_t n_block = std::min(kChainBlock, n_chains - c0);
            T* v = visible + c0 * n_visible;
            T* h = hidden + c0 * n_hidden;
            const T* in = to_hidden ? v : h;
            T* out = to_hidden ? h : v;
            const std::int64_t n_in = to_hidden ? n_visible : n_hidden;
            const std::int64_t n_out = to_hidden ? n_hidden : n_visible;
            const std::int64_t ld = to_hidden ? ld_h : ld_v;
            // Gather-adds over whole padded rows (the padding columns' fields are 0).
            const bool gather = can_gather && (!can_gemm || prefer_gather(block_ones[blk],
                                               n_block * n_in, to_hidden ? padded_h : padded_v));
            if (!layout_ready(gather, to_hidden)) {
                failed.store(true);
                return;
            }
            if (gather)
                gather_block(in, n_block, n_in, to_hidden ? w.weights : w.weights_t, ld, f,
                             scratch);
            else
                gemm_serial<T>(in, n_block, n_in, to_hidden ? *w.packed : *w.packed_t, f, ld,
                               packed_rows.data());
            // The block's count of ones for the next half's path choice.
            std::int64_t ones = 0;
            for (std::int64_t c = 0; c < n_block; ++c) {
                const std::uint64_t chain = chain_offset + static_cast<std::uint64_t>(c0 + c);
                ones += sample_row<T>(f + c * ld, n_out, to_hidden ? hidden_bias : visible_bias,
                                      beta, key, sweep, chain,
                                      to_hidden ? Stream::kHidden : Stream::kVisible, u.data(),
                                      out + c * n_out, nullptr);
            }
            block_ones[blk] = ones;
        };
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
            const std::int64_t c0 = blk * kChainBlock;
            const std::int64_t n_values = std::min(kChainBlock, n_chains - c0) * n_visible;
            const T* v = visible + c0 * n_visible;
            std::int64_t ones = 0;
            if (can_gather && can_gemm)
                for (std::int64_t i = 0; i < n_values; ++i) ones += v[i] != T(0);
            block_ones[blk] = ones;
        }
        for (std::int64_t s = 0; s < n_sweeps; ++s) {
            const std::uint64_t sweep = first_sweep + static_cast<std::uint64_t>(s);
            for (const bool to_hidden : {true, false}) {
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
                for (std::int64_t blk = 0; blk < n_blocks; ++blk)
                    if (ready && !failed.load(std::memory_order_relaxed))
                        half(blk, sweep, to_hidden);
            }  // the implicit barriers: a half starts only after every block's last one
        }
    }
    errors.rethrow();
}

template <typename T>
void gibbs_sparse(T* visible, T* hidden, std::int64_t n_chains, std::int64_t n_visible,
                  std::int64_t n_hidden, const T* weights, const T* weights_t,
                  const T* visible_bias, const T* hidden_bias, T beta, PhiloxKey key,
                  std::uint64_t first_sweep, std::uint64_t chain_offset, std::int64_t n_sweeps) {
    gibbs_blocks<T>(visible, hidden, n_chains, n_visible, n_hidden,
                    BlockWeights<T>{weights, weights_t, nullptr, nullptr, n_hidden, n_visible},
                    visible_bias,
                    hidden_bias, beta, key, first_sweep, chain_offset, n_sweeps);
}

template <typename T> double density(const T* states, std::int64_t n_values) {
    std::int64_t ones = 0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel for reduction(+ : ones) schedule(static)
#endif
    for (std::int64_t i = 0; i < n_values; ++i) ones += states[i] != T(0);
    return n_values > 0 ? static_cast<double>(ones) / static_cast<double>(n_values) : 0.0;
}

template <typename T>
void bernoulli_states(std::int64_t n_chains, std::int64_t n_units, T p, PhiloxKey key,
                      std::uint64_t chain_offset, T* states) {
    parallel_for(n_chains, [&](std::int64_t c) {
        T* row = states + c * n_units;
        uniform_row<T>(key, 0, chain_offset + static_cast<std::uint64_t>(c),
                       Stream::kInitVisible, row, n_units);
        for (std::int64_t j = 0; j < n_units; ++j) row[j] = row[j] < p ? T(1) : T(0);
    });
}

#define PYRBM_INSTANTIATE_GIBBS(T)                                                               \
    template void probs_from_fields<T>(const T*, std::int64_t, std::int64_t, const T*, T, T*); \
    template std::int64_t sample_from_fields<T>(const T*, std::int64_t, std::int64_t, const T*, T,     \
                                        const DrawSpec&, T*, T*);                              \
    template void sparse_fields<T>(const T*, std::int64_t, std::int64_t, const T*,             \
                                   std::int64_t, T*);                                          \
    template void gibbs_blocks<T>(T*, T*, std::int64_t, std::int64_t, std::int64_t,            \
                                  const BlockWeights<T>&, const T*, const T*, T, PhiloxKey,    \
                                  std::uint64_t, std::uint64_t, std::int64_t);                 \
    template void gibbs_sparse<T>(T*, T*, std::int64_t, std::int64_t, std::int64_t, const T*,  \
                                  const T*, const T*, const T*, T, PhiloxKey, std::uint64_t,   \
                                  std::uint64_t, std::int64_t);                                \
    template double density<T>(const T*, std::int64_t);                                        \
    template void bernoulli_states<T>(std::int64_t, std::int64_t, T, PhiloxKey, std::uint64_t, \
                                      T*);

PYRBM_INSTANTIATE_GIBBS(float)
PYRBM_INSTANTIATE_GIBBS(double)
template std::int64_t sample_from_fields<double, float>(const double*, std::int64_t, std::int64_t,
                                                        const double*, double, const DrawSpec&,
                                                        double*, double*);

}  // namespace pyrbm
