#include "gather.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "parallel.hpp"
#include "simd.hpp"

namespace pyrbm {
namespace {

// Chains per round: their active-unit lists are built first (in parallel), then every
// column tile is streamed once for all of them.
constexpr std::int64_t kChunk = 256;
// Vector registers per tile row, i.e. accumulators per chain. AVX-512: 8 zmm (512 bytes
// of columns) gave the best single-core rate for 784 x 500 (0.59 ms against 0.70 ms with
// 4 and 0.98 ms with 2, 200 MNIST rows). AVX2 (Zen 3, 1000 chains, 1 thread): 12 ymm
// (384 bytes) 5.4 / 8.2 ms at 15 / 50 % ones, 8 ymm 5.4 / 9.7, 16 ymm (every register,
// loads from memory operands) 6.1 / 9.8; 64-byte vectors (two ymm each, 16 of them per
// chain plus the loads) spilled: 16.8 / 42 ms.
constexpr int kVectors = kRegBytes == 64 ? 8 : 12;
// The same for gather_rows, whose rounds stream each tile for up to 256 chains: on AVX2
// 6 ymm (192 bytes; slices of 150-230 KB for 784-1200 rows leave room in Zen 3's 512 KB
// L2), measured alternating with 12 in one process, 1 thread: 200 x 784 -> 1200 at 14 %
// ones 2.34-2.40 against 2.61-2.75 ms, 1000 x 784 -> 500 at 15 % 4.91-5.06 against
// 5.60-5.62, 784 x 200 -> 1200 1.79-1.94 against 1.94-2.13, 50 % ones within the noise.
// gather_rows_serial's blocks of ~30 chains keep 12: there twice the tile passes over
// each block's lists made AIS at 784 x 1200 10-20 % slower.
constexpr int kVectorsRounds = kRegBytes == 64 ? 8 : 6;
// Dense inputs are summed in row blocks: a tile's slice of kRowBlock rows (64 x 512
// bytes, the 32 KB L1) serves every chain of the round before the next slice is read,
// the sums kept in out between blocks (the same additions in the same order). Below
// kRowBlockAbove ones per value a block holds too few ones to repay the round trip of
// the sums (measured, 784 x 500 float32, rounds of 28 chains, bench/RESULTS.md).
constexpr std::int64_t kRowBlock = 64;
constexpr double kRowBlockAbove = 0.2;
// Without row blocks a tile's rows come from L2 or beyond, at addresses known only from
// the lists: each row is prefetched kPrefetchAhead ones before its turn where the tile's
// slice of rows (n_in x tile bytes) exceeds L1 (kPrefetchAbove). Measured on Zen 3 (AVX2),
// 1 thread, alternating builds in one process: MNIST-like inputs over 784 rows 6-17 %
// faster (distance 8 ahead of 2, 4 and 16), AIS at 784 x 1200 2-9 %; 200-row inputs and
// row-blocked (L1) slices were 5-12 % slower when prefetched, hence the conditions.
constexpr std::int64_t kPrefetchAhead = 8;
constexpr std::int64_t kPrefetchAbove = 64 * 1024;

// Active-unit lists of one round of chains: chain c's list starts at c * stride
// (stride = n_in + 1: the branch-free compaction writes one slot past the list's end);
// its ones in row block b are entries [bounds[c * (n_blocks + 1) + b], ... + b + 1).
struct ActiveLists {
    const std::int32_t* index;
    std::int64_t stride;
    const std::int64_t* count;
    const std::int32_t* bounds;
    std::int64_t n_blocks;
    bool prefetch;  // prefetch tile rows ahead (see kPrefetchAhead)
};

// Whether a round's tiles prefetch their rows: single-block lists over a slice of rows
// larger than kPrefetchAbove (row-blocked slices are read from L1).
inline bool prefetch_rows(std::int64_t n_blocks, std::int64_t n_in, std::int64_t tile_bytes) {
    return n_blocks == 1 && n_in * tile_bytes > kPrefetchAbove;
}

// Row blocks for a round of n_chains lists over n_in inputs holding `ones` ones.
inline std::int64_t row_blocks(std::int64_t ones, std::int64_t n_chains, std::int64_t n_in) {
    const bool dense = static_cast<double>(ones) >=
                       kRowBlockAbove * static_cast<double>(n_chains * n_in);
    return dense ? (n_in + kRowBlock - 1) / kRowBlock : 1;
}

// bounds (n_blocks + 1 slots) of one chain's sorted list of `count` indices.
inline void block_bounds(const std::int32_t* index, std::int64_t count, std::int64_t n_blocks,
                         std::int32_t* bounds) {
    std::int64_t q = 0;
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        bounds[b] = static_cast<std::int32_t>(q);
        const std::int64_t hi = (b + 1) * kRowBlock;
        while (q < count && index[q] < hi) ++q;
    }
    bounds[n_blocks] = static_cast<std::int32_t>(count);
}

// One column tile: vectors [t0, t0 + nv * lanes) of the outputs, the last of which holds
// `tail` columns (the lanes, except in the last tile of an n_out that is not a multiple).
struct Tile {
    std::int64_t t0;
    int nv;
    int tail;
};

// n_out columns in tiles of whole 64-byte lines (so that rows on line boundaries are read
// in whole lines), at most max_vectors registers wide, as few as that allows and of even
// widths, the last vector masked where n_out ends inside it: a narrow remainder tile (or
// a scalar one for the last columns) cost a pass over every list for a few columns
// (measured on Zen 3, 1 thread, 1000 x 784 -> 500 at 15 % ones: 3-8 % faster).
template <typename T> struct Tiling {
    static constexpr std::int64_t kLineLanes = 64 / sizeof(T);
    std::int64_t n_out, n_lines, n_tiles;
    Tiling(std::int64_t columns, int max_vectors)
        : n_out(columns),
          n_lines((columns + kLineLanes - 1) / kLineLanes),
          n_tiles((n_lines + lines_per_tile(max_vectors) - 1) / lines_per_tile(max_vectors)) {}
    static std::int64_t lines_per_tile(int max_vectors) {
        return std::max<std::int64_t>(1, max_vectors * kRegBytes / 64);
    }
    std::int64_t tile_bytes() const {  // of the widest tile
        return n_tiles ? (n_lines + n_tiles - 1) / n_tiles * 64 : 0;
    }
    Tile at(std::int64_t index) const {
        const std::int64_t t0 = index * n_lines / n_tiles * kLineLanes;
        const std::int64_t t1 = std::min(n_out, (index + 1) * n_lines / n_tiles * kLineLanes);
        const std::int64_t vectors = (t1 - t0 + kLanesReg<T> - 1) / kLanesReg<T>;
        return {t0, static_cast<int>(vectors),
                static_cast<int>(t1 - t0 - (vectors - 1) * kLanesReg<T>)};
    }
};

// The tile's NV register columns from t0 for row block b: explicit accumulators per
// chain (GCC vector extensions: left to itself GCC turns this loop into slow hardware
// gathers); with Partial the last vector is loaded and stored masked.
template <typename T, int NV, bool Prefetch, bool Partial>
void vector_tile(const ActiveLists& lists, std::int64_t c_lo, std::int64_t c_hi, const T* rows,
                 std::int64_t n_out, std::int64_t t0, const PartialReg<T>& last, T* out,
                 bool accumulate, std::int64_t b) {
    using Vec = typename VecReg<T>::type;
    constexpr std::int64_t kLanes = kLanesReg<T>;
    const auto load = [&last](const T* p, int k) {
        return Partial && k == NV - 1 ? last.load(p + k * kLanes) : load_reg(p + k * kLanes);
    };
    for (std::int64_t c = c_lo; c < c_hi; ++c) {
        T* dst = out + c * n_out + t0;
        Vec acc[NV];
        for (int k = 0; k < NV; ++k) acc[k] = accumulate ? load(dst, k) : Vec{};
        const std::int32_t* active = lists.index + c * lists.stride;
        const std::int32_t* bounds = lists.bounds + c * (lists.n_blocks + 1) + b;
        const std::int64_t a_hi = bounds[1];
        for (std::int64_t a = bounds[0]; a < a_hi; ++a) {
            const T* row = rows + static_cast<std::int64_t>(active[a]) * n_out + t0;
            if constexpr (Prefetch) {
                // the row kPrefetchAhead ones on (the last one near the list's end)
                const std::int64_t ahead = std::min(a + kPrefetchAhead, a_hi - 1);
                const char* next = reinterpret_cast<const char*>(
                    rows + static_cast<std::int64_t>(active[ahead]) * n_out + t0);
                constexpr int kBytes = NV * static_cast<int>(sizeof(Vec));
                for (int off = 0; off < kBytes; off += 64) __builtin_prefetch(next + off);
                __builtin_prefetch(next + kBytes - 1);  // rows need not be line-aligned
            }
            for (int k = 0; k < NV; ++k) acc[k] += load(row, k);
        }
        for (int k = 0; k < NV - (Partial ? 1 : 0); ++k) store_reg(dst + k * kLanes, acc[k]);
        if constexpr (Partial) last.store(dst + (NV - 1) * kLanes, acc[NV - 1]);
    }
}

template <typename T, int NV>
void vector_tile_any(const ActiveLists& lists, std::int64_t c_lo, std::int64_t c_hi,
                     const T* rows, std::int64_t n_out, const Tile& tile, T* out,
                     bool accumulate, std::int64_t b) {
    const PartialReg<T> last(tile.tail);
    const bool partial = tile.tail < kLanesReg<T>;
    const auto run = [&](auto prefetch, auto masked) {
        vector_tile<T, NV, decltype(prefetch)::value, decltype(masked)::value>(
            lists, c_lo, c_hi, rows, n_out, tile.t0, last, out, accumulate, b);
    };
    using Yes = std::true_type;
    using No = std::false_type;
    if (lists.prefetch) partial ? run(Yes{}, Yes{}) : run(Yes{}, No{});
    else partial ? run(No{}, Yes{}) : run(No{}, No{});
}

// The tile for row block b.
template <typename T>
void tile_block(const ActiveLists& lists, std::int64_t c_lo, std::int64_t c_hi, const T* rows,
                std::int64_t n_out, const Tile& tile, T* out, bool accumulate, std::int64_t b) {
    switch (tile.nv) {
#define PYRBM_TILE_CASE(NV)                                                                   \
    case NV:                                                                                  \
        vector_tile_any<T, NV>(lists, c_lo, c_hi, rows, n_out, tile, out, accumulate, b);     \
        break;
        PYRBM_TILE_CASE(1)
        PYRBM_TILE_CASE(2)
        PYRBM_TILE_CASE(3)
        PYRBM_TILE_CASE(4)
        PYRBM_TILE_CASE(5)
        PYRBM_TILE_CASE(6)
        PYRBM_TILE_CASE(7)
        PYRBM_TILE_CASE(8)
        PYRBM_TILE_CASE(9)
        PYRBM_TILE_CASE(10)
        PYRBM_TILE_CASE(11)
        PYRBM_TILE_CASE(12)
#undef PYRBM_TILE_CASE
        default:
            break;
    }
}

// The tile, all row blocks in ascending order (block b > 0 continues the sums).
template <typename T>
void tile(const ActiveLists& lists, std::int64_t c_lo, std::int64_t c_hi, const T* rows,
          std::int64_t n_out, const Tile& tile, T* out, bool accumulate) {
    for (std::int64_t b = 0; b < lists.n_blocks; ++b)
        tile_block<T>(lists, c_lo, c_hi, rows, n_out, tile, out, accumulate || b > 0, b);
}

// Indices i0, i0 + 1, ... of the nonzero x[i] (i from i0 to n_in) to dst[k], ...; returns
// the new count. Writes one slot past the list's end.
template <typename T>
inline std::int64_t active_tail(const T* x, std::int64_t i0, std::int64_t n_in,
                                std::int32_t* dst, std::int64_t k) {
    for (std::int64_t i = i0; i < n_in; ++i) {  // branch-free: MNIST is 13 % ones
        dst[k] = static_cast<std::int32_t>(i);
        k += x[i] != T(0);
    }
    return k;
}

#if defined(__AVX512F__) && defined(__AVX512VL__)
// One vector of inputs for the compaction: their nonzero mask, and the kept indices
// (compressed into the low lanes) stored with a mask.
template <typename T> struct Compaction;
template <> struct Compaction<float> {
    static constexpr int kLanes = 16;
    using Index = __m512i;
    static Index first() {
        return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
    static Index next(Index idx) { return _mm512_add_epi32(idx, _mm512_set1_epi32(kLanes)); }
    static unsigned nonzero(const float* x) {
        return _mm512_cmp_ps_mask(_mm512_loadu_ps(x), _mm512_setzero_ps(), _CMP_NEQ_UQ);
    }
    static void store(std::int32_t* dst, unsigned nz, int kept, Index idx) {
        _mm512_mask_storeu_epi32(dst, static_cast<__mmask16>((1u << kept) - 1u),
                                 _mm512_maskz_compress_epi32(static_cast<__mmask16>(nz), idx));
    }
};
template <> struct Compaction<double> {
    static constexpr int kLanes = 8;
    using Index = __m256i;
    static Index first() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
    static Index next(Index idx) { return _mm256_add_epi32(idx, _mm256_set1_epi32(kLanes)); }
    static unsigned nonzero(const double* x) {
        return _mm512_cmp_pd_mask(_mm512_loadu_pd(x), _mm512_setzero_pd(), _CMP_NEQ_UQ);
    }
    static void store(std::int32_t* dst, unsigned nz, int kept, Index idx) {
        _mm256_mask_storeu_epi32(dst, static_cast<__mmask8>((1u << kept) - 1u),
                                 _mm256_maskz_compress_epi32(static_cast<__mmask8>(nz), idx));
    }
};
#elif defined(__AVX2__)
// AVX2 has no compress: the nonzero mask of 8 float32 (4 float64) inputs picks a
// permutation from a table of 256 (16) entries that moves the kept indices to the low
// lanes; all 8 (4) lanes are stored, the count advances by the kept ones. A store
// reaches at most dst + i + 8 <= dst + n_in, inside the list's n_in + 1 slots.
struct PermutationTable {
    std::uint64_t lanes[256] = {};  // byte l: the lane of the l-th set bit of the mask
    constexpr PermutationTable() {
        for (unsigned mask = 0; mask < 256; ++mask) {
            std::uint64_t packed = 0;
            int kept = 0;
            for (unsigned lane = 0; lane < 8; ++lane)
                if (mask & (1u << lane)) packed |= std::uint64_t(lane) << (8 * kept++);
            lanes[mask] = packed;
        }
    }
};
constexpr PermutationTable kPermutations{};
inline __m256i kept_first(unsigned mask, __m256i idx) {
    const __m256i order = _mm256_cvtepu8_epi32(
        _mm_cvtsi64_si128(static_cast<long long>(kPermutations.lanes[mask])));
    return _mm256_permutevar8x32_epi32(idx, order);
}
template <typename T> struct Compaction;
template <> struct Compaction<float> {
    static constexpr int kLanes = 8;
    using Index = __m256i;
    static Index first() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
    static Index next(Index idx) { return _mm256_add_epi32(idx, _mm256_set1_epi32(kLanes)); }
    static unsigned nonzero(const float* x) {
        return static_cast<unsigned>(_mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_loadu_ps(x), _mm256_setzero_ps(), _CMP_NEQ_UQ)));
    }
    static void store(std::int32_t* dst, unsigned nz, int /*kept*/, Index idx) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), kept_first(nz, idx));
    }
};
template <> struct Compaction<double> {
    static constexpr int kLanes = 4;
    using Index = __m256i;  // lanes 0-3 hold the indices
    static Index first() { return _mm256_setr_epi32(0, 1, 2, 3, 0, 0, 0, 0); }
    static Index next(Index idx) { return _mm256_add_epi32(idx, _mm256_set1_epi32(kLanes)); }
    static unsigned nonzero(const double* x) {
        return static_cast<unsigned>(_mm256_movemask_pd(
            _mm256_cmp_pd(_mm256_loadu_pd(x), _mm256_setzero_pd(), _CMP_NEQ_UQ)));
    }
    static void store(std::int32_t* dst, unsigned nz, int /*kept*/, Index idx) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst),
                         _mm256_castsi256_si128(kept_first(nz, idx)));
    }
};
#endif

// Writes the indices of the nonzero x[i] to dst (n_in + 1 slots) and returns their count.
// With AVX-512, one compress of 16 (float) or 8 (double) indices per step and a masked
// store of the kept ones (AVX2: a table permutation of 8 / 4): the scalar loop's store
// address depends on the previous count, about a cycle per value (0.45 ms of a
// 1000-chain sweep at 784 x 500).
template <typename T>
inline std::int64_t active_list(const T* x, std::int64_t n_in, std::int32_t* dst) {
    std::int64_t k = 0, i = 0;
#if (defined(__AVX512F__) && defined(__AVX512VL__)) || defined(__AVX2__)
    using C = Compaction<T>;
    typename C::Index idx = C::first();
    for (; i + C::kLanes <= n_in; i += C::kLanes) {
        const unsigned nz = C::nonzero(x + i);
        const int kept = __builtin_popcount(nz);
        C::store(dst + k, nz, kept, idx);
        k += kept;
        idx = C::next(idx);
    }
#endif
    return active_tail(x, i, n_in, dst, k);
}

}  // namespace

double gather_below(bool padded) { return padded ? kGatherBelowPadded : kGatherBelow; }

template <typename T>
void gather_rows_serial(const T* states, std::int64_t n_block, std::int64_t n_in, const T* rows,
                        std::int64_t n_out, T* out, bool accumulate, std::int32_t* index,
                        std::int64_t* count) {
    const Tiling<T> tiling(n_out, kVectors);
    const std::int64_t stride = n_in + 1;
    std::int64_t ones = 0;
    for (std::int64_t c = 0; c < n_block; ++c) {
        count[c] = active_list(states + c * n_in, n_in, index + c * stride);
        ones += count[c];
    }
    const std::int64_t n_blocks = row_blocks(ones, n_block, n_in);
    thread_local std::vector<std::int32_t> bounds;
    const auto slots = static_cast<std::size_t>(n_block * (n_blocks + 1));
    if (bounds.size() < slots) bounds.resize(slots);
    for (std::int64_t c = 0; c < n_block; ++c)
        block_bounds(index + c * stride, count[c], n_blocks, bounds.data() + c * (n_blocks + 1));
    const bool prefetch = prefetch_rows(n_blocks, n_in, tiling.tile_bytes());
    const ActiveLists lists{index, stride, count, bounds.data(), n_blocks, prefetch};
    for (std::int64_t t = 0; t < tiling.n_tiles; ++t)
        pyrbm::tile<T>(lists, 0, n_block, rows, n_out, tiling.at(t), out, accumulate);
}

template <typename T>
void gather_rows(const T* states, std::int64_t n_chains, std::int64_t n_in, const T* rows,
                 std::int64_t n_out, T* out, bool accumulate) {
    if (n_chains <= 0 || n_out <= 0) return;
    const Tiling<T> tiling(n_out, kVectorsRounds);
    const std::int64_t n_tiles = tiling.n_tiles;
    const std::int64_t chunk = std::min(kChunk, n_chains);
    const std::int64_t stride = n_in + 1;
    // Scratch kept by the calling thread: no allocation (or page faults) per call.
    const std::int64_t max_blocks = (n_in + kRowBlock - 1) / kRowBlock;
    thread_local std::vector<std::int32_t> index, bounds;
    thread_local std::vector<std::int64_t> count;
    index.resize(std::max(index.size(), static_cast<std::size_t>(chunk * stride)));
    count.resize(std::max(count.size(), static_cast<std::size_t>(chunk)));
    bounds.resize(std::max(bounds.size(), static_cast<std::size_t>(chunk * (max_blocks + 1))));
    std::int32_t* index_data = index.data();
    std::int64_t* count_data = count.data();
    std::int32_t* bounds_data = bounds.data();
    // Work items: (tile, group of chains), tile-major, so that a static split hands each
    // thread whole tiles where possible (its slice of rows then stays in its L2).
    const std::int64_t groups = std::max<std::int64_t>(
        1, std::min<std::int64_t>(chunk, (4 * max_threads() + n_tiles - 1) / n_tiles));
    // One parallel region per call: with OMP_WAIT_POLICY=PASSIVE every region start
    // wakes the sleeping workers, which costs more than a small gather.
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    for (std::int64_t c0 = 0; c0 < n_chains; c0 += chunk) {
        const std::int64_t n_block = std::min(chunk, n_chains - c0);
        const T* block_states = states + c0 * n_in;
        T* block_out = out + c0 * n_out;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t c = 0; c < n_block; ++c)
            count_data[c] = active_list(block_states + c * n_in, n_in, index_data + c * stride);
        // Every thread sums the round's counts (the same number): its row blocks.
        std::int64_t ones = 0;
        for (std::int64_t c = 0; c < n_block; ++c) ones += count_data[c];
        const std::int64_t n_blocks = row_blocks(ones, n_block, n_in);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t c = 0; c < n_block; ++c)
            block_bounds(index_data + c * stride, count_data[c], n_blocks,
                         bounds_data + c * (n_blocks + 1));
        const bool prefetch = prefetch_rows(n_blocks, n_in, tiling.tile_bytes());
        const ActiveLists lists{index_data, stride, count_data, bounds_data, n_blocks, prefetch};
        const std::int64_t per_group = (n_block + groups - 1) / groups;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t item = 0; item < n_tiles * groups; ++item) {
            const std::int64_t t_index = item / groups, group = item % groups;
            const std::int64_t c_lo = group * per_group;
            const std::int64_t c_hi = std::min(n_block, c_lo + per_group);
            pyrbm::tile<T>(lists, c_lo, c_hi, rows, n_out, tiling.at(t_index), block_out,
                           accumulate);
        }  // the implicit barrier: the lists are rebuilt for the next round only after it
    }
}

template void gather_rows_serial<float>(const float*, std::int64_t, std::int64_t, const float*,
                                        std::int64_t, float*, bool, std::int32_t*, std::int64_t*);
template void gather_rows_serial<double>(const double*, std::int64_t, std::int64_t,
                                         const double*, std::int64_t, double*, bool,
                                         std::int32_t*, std::int64_t*);
template void gather_rows<float>(const float*, std::int64_t, std::int64_t, const float*,
                                 std::int64_t, float*, bool);
template void gather_rows<double>(const double*, std::int64_t, std::int64_t, const double*,
                                  std::int64_t, double*, bool);

}  // namespace pyrbm
