// Gather-add of weight rows selected by binary states, parallel over column tiles.
#pragma once

#include <cstdint>

namespace pyrbm {

// The one density rule: an input with fewer than kGatherBelow ones per value has its
// fields computed by the gather-add, kGatherBelowPadded where the rows it sums start on
// 64-byte boundaries at an odd number of cache lines apart (the engine's padded weight
// copies, layout.hpp): such rows never split a load and spread over all cache sets.
// Measured on 784 x 500, 1 thread, against pyrbm's GEMM (bench/RESULTS.md): on AVX-512
// (Zen 4) the gather-add wins up to a density of 0.65-0.7 on padded rows (float32 and
// float64, v W and h W^T alike) and up to ~0.4 on rows at a stride of 500 values
// (float32); on AVX2 (Zen 3: half the vector width for the same two loads per cycle)
// up to ~0.45 on padded rows in a sweep (float32 and float64) and 0.3-0.4 on rows at a
// stride of 500 or 784 values. The paths give the same bits: the rule only changes the
// speed.
//
// These constants and the inline rule depend on the instruction set, so they exist only
// in the kernel library's translation units (compiled with the build's ISA flags; the
// bindings are not): anything else asks gather_below(), compiled in gather.cpp.
#if defined(PYRBM_KERNEL_TU)
#if defined(__AVX512F__)
constexpr double kGatherBelow = 0.4;
constexpr double kGatherBelowPadded = 0.6;
#else
constexpr double kGatherBelow = 0.35;
constexpr double kGatherBelowPadded = 0.45;
#endif

template <typename T> inline bool padded_rows(const T* rows, std::int64_t row_stride) {
    const auto bytes = static_cast<std::uint64_t>(row_stride) * sizeof(T);
    return reinterpret_cast<std::uintptr_t>(rows) % 64 == 0 && bytes % 64 == 0 &&
           (bytes / 64) % 2 == 1;
}

// ones of values: the input's count of ones; padded: whether the rows it would sum are.
inline bool prefer_gather(std::int64_t ones, std::int64_t values, bool padded) {
    const double below = padded ? kGatherBelowPadded : kGatherBelow;
    return static_cast<double>(ones) < below * static_cast<double>(values);
}

// The same for the rows at rows with row_stride.
template <typename T>
inline bool prefer_gather(std::int64_t ones, std::int64_t values, const T* rows,
                          std::int64_t row_stride) {
    return prefer_gather(ones, values, padded_rows(rows, row_stride));
}
#endif  // PYRBM_KERNEL_TU

// The density below which the gather-add runs, as compiled into the kernels: on padded
// rows (padded) or on rows at any other stride.
double gather_below(bool padded);

// out[c, :] (+)= sum over i with states[c, i] != 0 of rows[i, :]  (rows: n_in x n_out).
// With accumulate, the sums are added to out; otherwise out is overwritten.
// Each output entry is summed in ascending i by one thread: the result does not depend on
// the thread count. The threads split the columns, so each core streams only its slice of
// rows (a 784 x 500 float32 W is 1.5 MB, more than one core's L2; half of it fits).
template <typename T>
void gather_rows(const T* states, std::int64_t n_chains, std::int64_t n_in, const T* rows,
                 std::int64_t n_out, T* out, bool accumulate);

// The same sums for n_block chains on the calling thread only (for kernels that already
// run one block of chains per thread). index: scratch of n_block * (n_in + 1) values,
// count: of n_block values.
template <typename T>
void gather_rows_serial(const T* states, std::int64_t n_block, std::int64_t n_in, const T* rows,
                        std::int64_t n_out, T* out, bool accumulate, std::int32_t* index,
                        std::int64_t* count);

}  // namespace pyrbm
