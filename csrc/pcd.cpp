#include "pcd.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gather.hpp"
#include "gibbs.hpp"
#include "layout.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

// Buffers kept by the calling thread between updates (a fit makes thousands of calls),
// starting on 64-byte boundaries: the gather-adds' 64-byte loads of their rows are then
// split over two cache lines as rarely as the row length allows.
template <typename T> struct PcdScratch {
    static constexpr std::size_t kAlign = 64 / sizeof(T);
    std::vector<T> weights_t, visible_fields, stacked, fields, stacked_t;
    static T* sized(std::vector<T>& v, std::int64_t n) {
        if (v.size() < static_cast<std::size_t>(n) + kAlign)
            v.resize(static_cast<std::size_t>(n) + kAlign);
        const auto address = reinterpret_cast<std::uintptr_t>(v.data());
        const std::size_t skip = ((64 - address % 64) % 64) / sizeof(T);
        return v.data() + skip;
    }
};

template <typename T> PcdScratch<T>& scratch() {
    thread_local PcdScratch<T> buffers;
    return buffers;
}

constexpr std::int64_t kColumnBlock = 64;

}  // namespace

template <typename T>
void pcd_update(const T* v_pos, std::int64_t n_pos, const T* h_samples, std::int64_t n_chains,
                std::int64_t n_visible, std::int64_t n_hidden, T* weights, T* visible_bias,
                T* hidden_bias, T learning_rate, PhiloxKey key, std::uint64_t sweep, T* h_next) {
    const std::int64_t rows = n_chains + n_pos;
    PcdScratch<T>& s = scratch<T>();
    T* weights_t = PcdScratch<T>::sized(s.weights_t, n_hidden * n_visible);
    T* visible_fields = PcdScratch<T>::sized(s.visible_fields, n_chains * n_visible);
    T* stacked = PcdScratch<T>::sized(s.stacked, rows * n_visible);  // [v_neg; v_pos]
    T* fields = PcdScratch<T>::sized(s.fields, rows * n_hidden);
    T* stacked_t = PcdScratch<T>::sized(s.stacked_t, n_visible * rows);

    // v_neg ~ p(v | h_samples): a gather-add over the rows of W^T.
    transpose<T>(weights, n_visible, n_hidden, weights_t);
    gather_rows<T>(h_samples, n_chains, n_hidden, weights_t, n_visible, visible_fields, false);
    sample_from_fields<T>(visible_fields, n_chains, n_visible, visible_bias, T(1),
                          DrawSpec{key, sweep, 0, Stream::kVisible}, stacked, nullptr);
    std::memcpy(stacked + n_chains * n_visible, v_pos,
                static_cast<std::size_t>(n_pos * n_visible) * sizeof(T));

    // Hidden fields of both phases in one gather; h_next and the probabilities.
    gather_rows<T>(stacked, rows, n_visible, weights, n_hidden, fields, false);
    sample_from_fields<T>(fields, n_chains, n_hidden, hidden_bias, T(1),
                          DrawSpec{key, sweep, 0, Stream::kHidden}, h_next, fields);
    T* pos_fields = fields + n_chains * n_hidden;
    probs_from_fields<T>(pos_fields, n_pos, n_hidden, hidden_bias, T(1), pos_fields);

    // Signed, scaled probabilities: the gradient is [v_neg; v_pos]^T [-s h_neg; s h_pos].
    const T step = learning_rate / static_cast<T>(n_pos);
    parallel_for(rows, [&](std::int64_t r) {
        const T scale = r < n_chains ? -step : step;
        T* f = fields + r * n_hidden;
        for (std::int64_t j = 0; j < n_hidden; ++j) f[j] *= scale;
    });
    // Biases (from the same statistics; W is only changed below). Sums in row order.
    const std::int64_t column_blocks = (n_hidden + kColumnBlock - 1) / kColumnBlock;
    parallel_for(column_blocks, [&](std::int64_t blk) {
        const std::int64_t j0 = blk * kColumnBlock, j1 = std::min(n_hidden, j0 + kColumnBlock);
        T sums[kColumnBlock] = {};
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* f = fields + r * n_hidden;
            for (std::int64_t j = j0; j < j1; ++j) sums[j - j0] += f[j];
        }
        for (std::int64_t j = j0; j < j1; ++j) hidden_bias[j] += sums[j - j0];
    });
    transpose<T>(stacked, rows, n_visible, stacked_t);
    parallel_for(n_visible, [&](std::int64_t i) {
        const T* x = stacked_t + i * rows;
        T negative = 0, positive = 0;
        for (std::int64_t r = 0; r < n_chains; ++r) negative += x[r];
        for (std::int64_t r = n_chains; r < rows; ++r) positive += x[r];
        visible_bias[i] += step * (positive - negative);
    });
    // W += [v_neg; v_pos]^T (signed probabilities), added as it is summed.
    gather_rows<T>(stacked_t, n_visible, rows, fields, n_hidden, weights, true);
}

template void pcd_update<float>(const float*, std::int64_t, const float*, std::int64_t,
                                std::int64_t, std::int64_t, float*, float*, float*, float,
                                PhiloxKey, std::uint64_t, float*);
template void pcd_update<double>(const double*, std::int64_t, const double*, std::int64_t,
                                 std::int64_t, std::int64_t, double*, double*, double*, double,
                                 PhiloxKey, std::uint64_t, double*);

}  // namespace pyrbm
