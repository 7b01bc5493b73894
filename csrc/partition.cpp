#include "partition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gibbs.hpp"
#include "mathutil.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

// Enumerated states per block: the Gray-code walk restarts from scratch at each block
// (bounding the float64 drift of the incrementally updated fields).
constexpr int kBlockBits = 12;

// Largest chain block of the annealing kernel (the core's gather-add blocks 32 chains).
constexpr std::int64_t kMaxChainBlock = 32;

}  // namespace

double softplus_fast(double x) { return softplus_vec(x); }

template <typename T>
double log_z_enumerate(const T* rows, std::int64_t n_enum, std::int64_t n_other, const T* bias,
                       const T* other_bias, double beta) {
    if (n_enum < 0 || n_enum > 62) throw std::invalid_argument("n_enum: must be in [0, 62]");
    const std::size_t n_rows = static_cast<std::size_t>(n_enum);
    const std::size_t n_cols = static_cast<std::size_t>(n_other);
    // Everything is scaled by beta once, in double.
    std::vector<double> r(n_rows * n_cols), c(n_cols), e(n_rows), zero(n_cols, 0.0);
    for (std::size_t k = 0; k < n_rows * n_cols; ++k) r[k] = beta * static_cast<double>(rows[k]);
    for (std::size_t l = 0; l < n_cols; ++l) c[l] = beta * static_cast<double>(other_bias[l]);
    for (std::size_t k = 0; k < n_rows; ++k) e[k] = beta * static_cast<double>(bias[k]);

    const int block_bits = static_cast<int>(std::min<std::int64_t>(n_enum, kBlockBits));
    const std::int64_t block_size = std::int64_t(1) << block_bits;
    const std::int64_t n_blocks = std::int64_t(1) << (n_enum - block_bits);
    std::vector<double> block_max(static_cast<std::size_t>(n_blocks));
    std::vector<double> block_sum(static_cast<std::size_t>(n_blocks));

    FirstError errors;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        std::vector<double> field, values;
        errors.capture([&] {
            field.resize(n_cols);
            values.resize(static_cast<std::size_t>(block_size));
        });
        const bool ready = values.size() == static_cast<std::size_t>(block_size);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
            if (!ready) continue;
            const std::uint64_t first = static_cast<std::uint64_t>(blk) << block_bits;
            std::uint64_t gray = first ^ (first >> 1);
            double* f = field.data();
            std::copy(c.begin(), c.end(), field.begin());
            double linear = 0.0;
            for (std::size_t k = 0; k < n_rows; ++k) {
                if ((gray >> k) & 1U) {
                    const double* row = r.data() + k * n_cols;
                    for (std::size_t l = 0; l < n_cols; ++l) f[l] += row[l];
                    linear += e[k];
                }
            }
            for (std::int64_t t = 0; t < block_size; ++t) {
                double sign = 0.0;
                const double* row = zero.data();  // step 0: no flip
                if (t > 0) {  // Gray code: step t flips bit ctz(t) (t < 2^block_bits)
                    const int j = __builtin_ctzll(static_cast<unsigned long long>(t));
                    gray ^= std::uint64_t(1) << j;
                    sign = ((gray >> j) & 1U) ? 1.0 : -1.0;
                    row = r.data() + static_cast<std::size_t>(j) * n_cols;
                    linear += sign * e[static_cast<std::size_t>(j)];
                }
                double soft = 0.0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp simd reduction(+ : soft)
#endif
                for (std::size_t l = 0; l < n_cols; ++l) {
                    f[l] += sign * row[l];
                    soft += softplus_vec(f[l]);
                }
                values[static_cast<std::size_t>(t)] = linear + soft;
            }
            double m = -std::numeric_limits<double>::infinity();
            for (double x : values) m = std::max(m, x);
            double s = 0.0;
            for (double x : values) s += std::exp(x - m);
            block_max[static_cast<std::size_t>(blk)] = m;
            block_sum[static_cast<std::size_t>(blk)] = s;
        }
        if (!ready) errors.capture([] { throw std::bad_alloc(); });
    }
    errors.rethrow();
    // Combine in block order: independent of the thread count.
    double m = -std::numeric_limits<double>::infinity();
    for (double x : block_max) m = std::max(m, x);
    double s = 0.0;
    for (std::size_t i = 0; i < block_max.size(); ++i)
        s += block_sum[i] * std::exp(block_max[i] - m);
    return m + std::log(s);
}

namespace {

// Counter bit that separates the base model's hidden draws from the model's (same step).
constexpr std::uint64_t kBaseHiddenSweep = std::uint64_t(1) << 63;

// One hidden layer of a chain block: its fields vW (without bias) and states.
template <typename T> struct HiddenBlock {
    const RbmView<T>& rbm;
    std::vector<T> fields, states;
    HiddenBlock(const RbmView<T>& r, std::size_t n_block)
        : rbm(r),
          fields(n_block * static_cast<std::size_t>(r.n_hidden)),
          states(fields.size()) {}

    void compute_fields(const T* visible, std::int64_t n_block, std::int64_t n_visible) {
        if (rbm.n_hidden > 0)
            sparse_fields<T>(visible, n_block, n_visible, rbm.weights, rbm.n_hidden,
                             fields.data());
    }
    // sum_j softplus(now (b_j + x_j)) - softplus(before (b_j + x_j)) for chain c.
    double softplus_change(std::int64_t c, double now, double before) const {
        const T* x = fields.data() + c * rbm.n_hidden;
        double soft = 0.0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp simd reduction(+ : soft)
#endif
        for (std::int64_t j = 0; j < rbm.n_hidden; ++j) {
            const double field = static_cast<double>(rbm.hidden_bias[j]) + x[j];
            soft += softplus_vec(now * field) - softplus_vec(before * field);
        }
        return soft;
    }
};

// One chain block of the annealing kernel: states visible[0, n_block) (rows), all steps.
template <typename T>
void anneal_block(T* visible, std::int64_t n_block, std::int64_t n_visible,
                  const RbmView<T>& model, const RbmView<T>& base, const AnnealSpec& spec,
                  std::uint64_t first_chain, double* log_weights) {
    const auto nb = static_cast<std::size_t>(n_block);
    HiddenBlock<T> hid(model, nb), base_hid(base, nb);
    std::vector<T> visible_fields(nb * static_cast<std::size_t>(n_visible));
    std::vector<T> base_visible_fields(base.n_hidden > 0 ? visible_fields.size() : 0);
    std::vector<T> mixed_bias(static_cast<std::size_t>(n_visible));
    const double* cb = spec.coef_base;
    const double* cm = spec.coef_model;
    auto draw = [&](std::uint64_t sweep) {
        return DrawSpec{spec.key, sweep, first_chain, Stream::kAnnealing};
    };
    if (spec.first_step == 1) std::fill(log_weights, log_weights + n_block, 0.0);
    if (spec.draw_initial && spec.first_step == 1) {  // v ~ base model: sigmoid(base visible bias) per unit
        if (base.n_hidden > 0)
            throw std::invalid_argument("draw_initial: needs a base model without hidden units");
        std::fill(visible_fields.begin(), visible_fields.end(), T(0));
        sample_from_fields<T>(visible_fields.data(), n_block, n_visible, base.visible_bias, T(1),
                              draw(1), visible, nullptr);
    }
    for (std::int64_t k = spec.first_step; k < spec.end_step; ++k) {
        hid.compute_fields(visible, n_block, n_visible);
        base_hid.compute_fields(visible, n_block, n_visible);
        const double d_base = cb[k] - cb[k - 1], d_model = cm[k] - cm[k - 1];
        for (std::int64_t c = 0; c < n_block; ++c) {
            const T* v = visible + c * n_visible;
            double linear = 0.0;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp simd reduction(+ : linear)
#endif
            for (std::int64_t i = 0; i < n_visible; ++i)
                linear += (d_base * base.visible_bias[i] + d_model * model.visible_bias[i]) * v[i];
            log_weights[c] += linear + hid.softplus_change(c, cm[k], cm[k - 1]) +
                              base_hid.softplus_change(c, cb[k], cb[k - 1]);
        }
        if (k == spec.n_steps - 1) break;
        // Transition T_k: h_B ~ sigmoid(cm (b + vW)), h_A ~ sigmoid(cb (b_A + v W_A)),
        // v ~ sigmoid(cm (a + W h_B) + cb (a_A + W_A h_A))
        //   = sigmoid(cm (W h_B + r W_A h_A + a + r a_A)), r = cb / cm.
        const double now = cm[k];
        if (!(now > 0.0)) throw std::invalid_argument("schedule: interior betas must be > 0");
        const auto sweep = 2 * static_cast<std::uint64_t>(k);
        const double ratio = cb[k] / now;
        sample_from_fields<T>(hid.fields.data(), n_block, model.n_hidden, model.hidden_bias,
                              static_cast<T>(now), draw(sweep), hid.states.data(), nullptr);
        sparse_fields<T>(hid.states.data(), n_block, model.n_hidden, model.weights_t, n_visible,
                         visible_fields.data());
        if (base.n_hidden > 0) {
            sample_from_fields<T>(base_hid.fields.data(), n_block, base.n_hidden,
                                  base.hidden_bias, static_cast<T>(cb[k]),
                                  draw(sweep | kBaseHiddenSweep), base_hid.states.data(),
                                  nullptr);
            sparse_fields<T>(base_hid.states.data(), n_block, base.n_hidden, base.weights_t,
                             n_visible, base_visible_fields.data());
            for (std::size_t i = 0; i < visible_fields.size(); ++i)
                visible_fields[i] += static_cast<T>(ratio) * base_visible_fields[i];
        }
        for (std::int64_t i = 0; i < n_visible; ++i)
            mixed_bias[static_cast<std::size_t>(i)] =
                static_cast<T>(model.visible_bias[i] + ratio * base.visible_bias[i]);
        sample_from_fields<T>(visible_fields.data(), n_block, n_visible, mixed_bias.data(),
                              static_cast<T>(now), draw(sweep + 1), visible, nullptr);
    }
}

}  // namespace

template <typename T>
void anneal(T* visible, std::int64_t n_chains, std::int64_t n_visible, const RbmView<T>& model,
            const RbmView<T>& base, const AnnealSpec& spec, double* log_weights) {
    if (n_chains <= 0) return;
    // Chain blocks: at most kMaxChainBlock chains, a multiple of the thread count of blocks
    // so the threads get equal work. Every chain draws from its own counters and the
    // core's gather-add sums in a fixed order, so the split does not change the result.
    // The core kernels called inside run single-threaded (nested regions are inactive).
    const std::int64_t threads = std::min<std::int64_t>(max_threads(), n_chains);
    std::int64_t n_blocks = std::max((n_chains + kMaxChainBlock - 1) / kMaxChainBlock, threads);
    n_blocks = (n_blocks + threads - 1) / threads * threads;
    const std::int64_t block = (n_chains + n_blocks - 1) / n_blocks;
    n_blocks = (n_chains + block - 1) / block;
    FirstError errors;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
        errors.capture([&] {
            const std::int64_t c0 = blk * block;
            const std::int64_t nb = std::min(block, n_chains - c0);
            anneal_block<T>(visible + c0 * n_visible, nb, n_visible, model, base, spec,
                            spec.chain_offset + static_cast<std::uint64_t>(c0),
                            log_weights + c0);
        });
    }
    errors.rethrow();
}

#define PYRBM_INSTANTIATE_PARTITION(T)                                                          \
    template double log_z_enumerate<T>(const T*, std::int64_t, std::int64_t, const T*,         \
                                       const T*, double);                                      \
    template void anneal<T>(T*, std::int64_t, std::int64_t, const RbmView<T>&,                 \
                            const RbmView<T>&, const AnnealSpec&, double*);

PYRBM_INSTANTIATE_PARTITION(float)
PYRBM_INSTANTIATE_PARTITION(double)

}  // namespace pyrbm
