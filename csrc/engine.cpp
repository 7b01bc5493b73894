#include "engine.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gather.hpp"
#include "gemm.hpp"
#include "gibbs.hpp"
#include "layout.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

// The layouts of W the sweeps read (padded copies of W and W^T for the gather-adds, W
// and W^T packed for the GEMMs), kept between calls and rebuilt only when the weights'
// bits change: each call compares W with the copy the layouts were built from (memcmp,
// about 0.1 ms for 784 x 500 float32 against ~1.1 ms to build all four layouts), so a
// weight array changed in place, or another model's, is always seen.
template <typename T> struct WeightLayouts {
    std::vector<T> source, pad, pad_t;
    PackedRight<T> packed, packed_t;
    std::int64_t nv = -1, nh = -1;
    T* pad_at = nullptr;  // the padded W in pad, and W^T in pad_t (set by places)
    T* pad_t_at = nullptr;
    bool has[4] = {false, false, false, false};  // by Layout: filled from source

    void track(const T* w, std::int64_t n_visible, std::int64_t n_hidden) {
        const std::size_t bytes = static_cast<std::size_t>(n_visible * n_hidden) * sizeof(T);
        if (n_visible == nv && n_hidden == nh && std::memcmp(source.data(), w, bytes) == 0) return;
        std::fill(has, has + 4, false);
        nv = nh = -1;  // until source holds w
        source.resize(static_cast<std::size_t>(n_visible * n_hidden));
        std::memcpy(source.data(), w, bytes);
        nv = n_visible;
        nh = n_hidden;
    }
    // The places of all four layouts in out (allocated, not filled: build fills them).
    void places(BlockWeights<T>& out) {
        out.ld_hidden = padded_stride<T>(nh);
        out.ld_visible = padded_stride<T>(nv);
        out.weights = pad_at = aligned64(pad, nv * out.ld_hidden);
        out.weights_t = pad_t_at = aligned64(pad_t, nh * out.ld_visible);
        out.packed = &packed;
        out.packed_t = &packed_t;
    }
    // Fills one layout from source unless it already holds the current weights: W and
    // W^T with rows on 64-byte boundaries at a stride of whole vectors, or packed.
    void build(Layout layout) {
        bool& done = has[static_cast<int>(layout)];
        if (done) return;
        switch (layout) {
            case Layout::kPadded:
                copy_padded<T>(source.data(), nv, nh, pad_at, padded_stride<T>(nh));
                break;
            case Layout::kPaddedT:
                transpose_padded<T>(source.data(), nv, nh, pad_t_at, padded_stride<T>(nv));
                break;
            case Layout::kPacked:
                packed.pack(MatrixView<T>{source.data(), nv, nh, nh, 1});
                break;
            case Layout::kPackedT:
                packed_t.pack(MatrixView<T>{source.data(), nh, nv, 1, nh});
                break;
        }
        done = true;
    }
    // The padded W when it is built and has W's own row stride (784 or 1200 float32): the
    // same values as W on 64-byte boundaries. Else null.
    const T* aligned_w() const {
        return has[static_cast<int>(Layout::kPadded)] && padded_stride<T>(nh) == nh ? pad_at
                                                                                     : nullptr;
    }
};

// Buffers kept by the calling thread between calls (a run makes thousands).
template <typename T> struct EngineScratch {
    std::vector<T> weights_t, hidden, probs_data, probs_model, stacked, stacked_t, coeffs,
        chains, visible_fields;
    WeightLayouts<T> layouts;
    static T* sized(std::vector<T>& v, std::int64_t n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
        return v.data();
    }
};

template <typename T> EngineScratch<T>& scratch() {
    thread_local EngineScratch<T> buffers;
    return buffers;
}

// fields (n x n_hidden) = v W; the gather-add reads w_rows (W, or a copy of it at the
// same stride on 64-byte boundaries).
template <typename T>
void hidden_fields(const T* v, std::int64_t n, const ModelView<T>& m, bool gather,
                   const T* w_rows, T* fields) {
    if (gather) {
        gather_rows<T>(v, n, m.n_visible, w_rows, m.n_hidden, fields, false);
    } else {
        gemm<T>(MatrixView<T>{v, n, m.n_visible, m.n_visible, 1},
                MatrixView<T>{m.weights, m.n_visible, m.n_hidden, m.n_hidden, 1}, fields, false);
    }
}

// dst[j] (=) scale * sum over rows r of src[r, j] (n_rows x n_cols), ascending r, in
// parallel over column blocks.
constexpr std::int64_t kColumnBlock = 64;

template <typename T>
void column_sums(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst) {
    const std::int64_t blocks = (n_cols + kColumnBlock - 1) / kColumnBlock;
    parallel_for(blocks, [&](std::int64_t blk) {
        const std::int64_t j0 = blk * kColumnBlock, j1 = std::min(n_cols, j0 + kColumnBlock);
        T sums[kColumnBlock] = {};
        for (std::int64_t r = 0; r < n_rows; ++r) {
            const T* x = src + r * n_cols;
            for (std::int64_t j = j0; j < j1; ++j) sums[j - j0] += x[j];
        }
        std::copy(sums, sums + (j1 - j0), dst + j0);
    });
}

}  // namespace

template <typename T> std::int64_t count_ones(const T* states, std::int64_t n_values) {
    std::int64_t ones = 0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel for reduction(+ : ones) schedule(static)
#endif
    for (std::int64_t i = 0; i < n_values; ++i) ones += states[i] != T(0);
    return ones;
}

template <typename T> bool all_binary(const T* states, std::int64_t n_values) {
    constexpr std::int64_t kChunk = 4096;
    for (std::int64_t i0 = 0; i0 < n_values; i0 += kChunk) {
        const std::int64_t i1 = std::min(n_values, i0 + kChunk);
        // An OR of 32-bit flags vectorizes to a compare and an OR per register (a count of
        // the good values widened every mask to 64 bits: ~1.8 cycles per value on Zen 3).
        std::uint32_t bad = 0;
        for (std::int64_t i = i0; i < i1; ++i) {
            const T x = states[i];
            bad |= static_cast<std::uint32_t>((x != T(0)) & (x != T(1)));  // NaN is bad
        }
        if (bad != 0) return false;
    }
    return true;
}

template <typename T>
void gibbs_chains(T* visible, T* hidden, std::int64_t n_chains, const ModelView<T>& model, T beta,
                  FieldPath path, PhiloxKey key, std::uint64_t first_sweep,
                  std::uint64_t chain_offset, std::int64_t n_sweeps) {
    const std::int64_t nv = model.n_visible, nh = model.n_hidden;
    if (n_chains <= 0 || n_sweeps <= 0) return;
    // Each block of chains runs each half-sweep on one thread, choosing per half-sweep
    // (kAuto) between the gather-add and a GEMM on W packed once for the whole call.
    // The layouts of W, rebuilt only when W's bits differ from the last call's.
    WeightLayouts<T>& layouts = scratch<T>().layouts;
    layouts.track(model.weights, nv, nh);
    BlockWeights<T> weights{nullptr, nullptr, nullptr, nullptr, nh, nv};
    layouts.places(weights);
    // kAuto: each layout built when a block first takes its path (a late PCD-1 update at
    // 784 x 1200 gathers v -> h and multiplies h -> v: two of the four passes over W).
    // kDense and kSparse need both of their layouts: built here, in parallel.
    LazyLayouts lazy;
    if (path == FieldPath::kAuto) {
        lazy.build = [&](Layout layout) { layouts.build(layout); };
        weights.lazy = &lazy;
    } else if (path == FieldPath::kDense) {
        layouts.build(Layout::kPacked);
        layouts.build(Layout::kPackedT);
        weights.weights = weights.weights_t = nullptr;
    } else {
        layouts.build(Layout::kPadded);
        layouts.build(Layout::kPaddedT);
        weights.packed = weights.packed_t = nullptr;
    }
    gibbs_blocks<T>(visible, hidden, n_chains, nv, nh, weights, model.visible_bias,
                    model.hidden_bias, beta, key, first_sweep, chain_offset, n_sweeps);
}

namespace {

// Where the statistics' P_m go besides the gradient: when draw is set, the chains' hidden
// states h ~ Bernoulli(P_m) at draw's counters (float32-layout uniforms) into h_next.
struct HiddenDraw {
    bool enabled;
    PhiloxKey key;
    std::uint64_t sweep;
};

// The statistics and gradient of chain_gradient for given data and chains (no sweeps);
// with accumulate, grad_w, grad_a and grad_b are added to instead of overwritten (and
// mean_h may be null).
template <typename T>
void gradient_statistics(const T* data, std::int64_t n_data, bool data_binary, const T* chains,
                         std::int64_t n_chains, const ModelView<T>& model, T scale_data,
                         T scale_model, const T* visible_offset, const T* hidden_offset,
                         const GradientOut<T>& out, bool accumulate, const HiddenDraw& draw,
                         T* h_next, const T* aligned_w) {
    const std::int64_t nv = model.n_visible, nh = model.n_hidden;
    const std::int64_t rows = n_data + n_chains;
    EngineScratch<T>& s = scratch<T>();
    // Stacked states [D; V] and their hidden probabilities in one pass of fields.
    T* stacked = EngineScratch<T>::sized(s.stacked, rows * nv);
    std::memcpy(stacked, data, static_cast<std::size_t>(n_data * nv) * sizeof(T));
    std::memcpy(stacked + n_data * nv, chains, static_cast<std::size_t>(n_chains * nv) * sizeof(T));
    // On a cache line: its rows are too when nh * sizeof(T) is a multiple of 64 (784 and
    // 1200 float32), and the gradient's gather-add sums them (loads split across two
    // lines cost 5-20 % of that gather-add on Zen 3).
    T* coeffs = aligned64(s.coeffs, rows * nh);
    // Each part (data, chains) by its own density: sparse data beside dense chains
    // (MNIST batch, random model) takes the gather-add for its half. Same bits either way.
    const std::int64_t data_ones = data_binary ? count_ones<T>(data, n_data * nv) : -1;
    const std::int64_t chain_ones = count_ones<T>(chains, n_chains * nv);
    // (both the fields' rows, W, and the gradient's, the coefficients, are unpadded)
    const bool gather_data =
        data_binary && prefer_gather(data_ones, n_data * nv, model.weights, nh);
    const bool gather_chains = prefer_gather(chain_ones, n_chains * nv, model.weights, nh);
    const T* w_rows = aligned_w != nullptr ? aligned_w : model.weights;
    if (gather_data == gather_chains) {
        hidden_fields<T>(stacked, rows, model, gather_data, w_rows, coeffs);
    } else {
        hidden_fields<T>(stacked, n_data, model, gather_data, w_rows, coeffs);
        hidden_fields<T>(stacked + n_data * nv, n_chains, model, gather_chains, w_rows,
                         coeffs + n_data * nh);
    }
    if (draw.enabled) {
        probs_from_fields<T>(coeffs, n_data, nh, model.hidden_bias, T(1), coeffs);
        T* model_rows = coeffs + n_data * nh;
        sample_from_fields<T, float>(model_rows, n_chains, nh, model.hidden_bias, T(1),
                                     DrawSpec{draw.key, draw.sweep, 0, Stream::kHidden}, h_next,
                                     model_rows);
    } else {
        probs_from_fields<T>(coeffs, rows, nh, model.hidden_bias, T(1), coeffs);
    }
    // grad_b, mean_h from the probabilities; then coeffs = signed, scaled (P - lam).
    T* sum_data = EngineScratch<T>::sized(s.probs_data, nh);
    T* sum_model = EngineScratch<T>::sized(s.probs_model, nh);
    column_sums<T>(coeffs, n_data, nh, sum_data);
    column_sums<T>(coeffs + n_data * nh, n_chains, nh, sum_model);
    for (std::int64_t j = 0; j < nh; ++j) {
        if (out.mean_h != nullptr) out.mean_h[j] = scale_data * sum_data[j];
        const T g = scale_data * sum_data[j] - scale_model * sum_model[j];
        out.grad_b[j] = accumulate ? out.grad_b[j] + g : g;
    }
    parallel_for(rows, [&](std::int64_t r) {
        const T scale = r < n_data ? scale_data : -scale_model;
        T* c = coeffs + r * nh;
        if (hidden_offset != nullptr) {
            for (std::int64_t j = 0; j < nh; ++j) c[j] = scale * (c[j] - hidden_offset[j]);
        } else {
            for (std::int64_t j = 0; j < nh; ++j) c[j] *= scale;
        }
    });
    // grad_a from the states.
    T* data_sums = EngineScratch<T>::sized(s.probs_data, nv);
    column_sums<T>(stacked, n_data, nv, data_sums);
    T* chain_sums = EngineScratch<T>::sized(s.probs_model, nv);
    column_sums<T>(stacked + n_data * nv, n_chains, nv, chain_sums);
    for (std::int64_t i = 0; i < nv; ++i) {
        const T g = scale_data * data_sums[i] - scale_model * chain_sums[i];
        out.grad_a[i] = accumulate ? out.grad_a[i] + g : g;
    }
    // grad_w = [D; V]^T coeffs, one sum over the rows r in ascending order per entry:
    // the data rows then the chain rows, each part by a gather-add over the active units
    // of its transposed states when sparse and binary, else by a GEMM on the transposed
    // view, the second part continuing the first's sums (the same bits for any split).
    auto product = [&](std::int64_t r0, std::int64_t n, bool gather, bool add) {
        const T* part = stacked + r0 * nv;
        if (gather) {
            T* part_t = EngineScratch<T>::sized(s.stacked_t, nv * n);
            transpose<T>(part, n, nv, part_t);
            gather_rows<T>(part_t, nv, n, coeffs + r0 * nh, nh, out.grad_w, add);
        } else {
            gemm<T>(MatrixView<T>{part, nv, n, 1, nv},
                    MatrixView<T>{coeffs + r0 * nh, n, nh, nh, 1}, out.grad_w, add);
        }
    };
    if (gather_data == gather_chains) {
        product(0, rows, gather_data, accumulate);
    } else {
        product(0, n_data, gather_data, accumulate);
        product(n_data, n_chains, gather_chains, true);
    }
    if (visible_offset != nullptr) {  // - mu (sum_r coeffs_r)^T
        T* coeff_sums = EngineScratch<T>::sized(s.probs_data, nh);
        column_sums<T>(coeffs, rows, nh, coeff_sums);
        parallel_for(nv, [&](std::int64_t i) {
            T* g = out.grad_w + i * nh;
            for (std::int64_t j = 0; j < nh; ++j) g[j] -= visible_offset[i] * coeff_sums[j];
        });
    }
}

}  // namespace

template <typename T>
void chain_gradient(const T* data, std::int64_t n_data, bool data_binary, T* chains,
                    std::int64_t n_chains, const ModelView<T>& model, std::int64_t n_sweeps,
                    PhiloxKey key, std::uint64_t chain_offset, T scale_data, T scale_model,
                    const T* visible_offset, const T* hidden_offset, const GradientOut<T>& out) {
    EngineScratch<T>& s = scratch<T>();
    // The negative phase: k sweeps of the chains.
    T* hidden = EngineScratch<T>::sized(s.hidden, n_chains * model.n_hidden);
    gibbs_chains<T>(chains, hidden, n_chains, model, T(1), FieldPath::kAuto, key, 0,
                    chain_offset, n_sweeps);
    // The sweeps' padded W (of this W: gibbs_chains tracked it) for the gradient's fields
    // where it can stand in for W (NumPy's W starts 16 bytes off a cache line).
    gradient_statistics<T>(data, n_data, data_binary, chains, n_chains, model, scale_data,
                           scale_model, visible_offset, hidden_offset, out, false,
                           HiddenDraw{false, key, 0}, nullptr, s.layouts.aligned_w());
}

template <typename T>
void hidden_chain_update(const T* v_pos, std::int64_t n_pos, bool data_binary,
                         const T* h_samples, std::int64_t n_chains, T* weights, T* visible_bias,
                         T* hidden_bias, std::int64_t n_visible, std::int64_t n_hidden,
                         T learning_rate, PhiloxKey key, std::uint64_t sweep, T* h_next) {
    const std::int64_t nv = n_visible, nh = n_hidden;
    const ModelView<T> model{weights, visible_bias, hidden_bias, nv, nh};
    EngineScratch<T>& s = scratch<T>();
    // V ~ p(v | h_samples): fields h W^T by the gather-add over W^T's rows (one rule:
    // prefer_gather on the count of ones) or by the GEMM on W^T's view.
    T* chains = EngineScratch<T>::sized(s.chains, n_chains * nv);
    T* fields = EngineScratch<T>::sized(s.visible_fields, n_chains * nv);
    T* w_t = aligned64(s.weights_t, nh * nv);
    if (prefer_gather(count_ones<T>(h_samples, n_chains * nh), n_chains * nh, w_t, nv)) {
        transpose<T>(weights, nv, nh, w_t);
        gather_rows<T>(h_samples, n_chains, nh, w_t, nv, fields, false);
    } else {
        gemm<T>(MatrixView<T>{h_samples, n_chains, nh, nh, 1},
                MatrixView<T>{weights, nh, nv, 1, nh}, fields, false);
    }
    sample_from_fields<T, float>(fields, n_chains, nv, visible_bias, T(1),
                                 DrawSpec{key, sweep, 0, Stream::kVisible}, chains, nullptr);
    const T step = learning_rate / static_cast<T>(n_pos);
    const GradientOut<T> out{weights, visible_bias, hidden_bias, nullptr};
    gradient_statistics<T>(v_pos, n_pos, data_binary, chains, n_chains, model, step, step,
                           nullptr, nullptr, out, true, HiddenDraw{true, key, sweep}, h_next,
                           nullptr);
}

#define PYRBM_INSTANTIATE_ENGINE(T)                                                               \
    template std::int64_t count_ones<T>(const T*, std::int64_t);                                  \
    template bool all_binary<T>(const T*, std::int64_t);                                          \
    template void gibbs_chains<T>(T*, T*, std::int64_t, const ModelView<T>&, T, FieldPath,        \
                                  PhiloxKey, std::uint64_t, std::uint64_t, std::int64_t);        \
    template void chain_gradient<T>(const T*, std::int64_t, bool, T*, std::int64_t,               \
                                    const ModelView<T>&, std::int64_t, PhiloxKey, std::uint64_t, \
                                    T, T, const T*, const T*, const GradientOut<T>&);            \
    template void hidden_chain_update<T>(const T*, std::int64_t, bool, const T*, std::int64_t,    \
                                         T*, T*, T*, std::int64_t, std::int64_t, T, PhiloxKey,    \
                                         std::uint64_t, T*);

PYRBM_INSTANTIATE_ENGINE(float)
PYRBM_INSTANTIATE_ENGINE(double)

}  // namespace pyrbm
