#include "tempering.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gibbs.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

// Sums in double with 8 accumulators in a fixed pattern: vectorizes (the states are
// binary, the products exact in double) and does not depend on the thread count.
constexpr int kLanes = 8;

template <typename T> double dot(const T* x, const T* y, std::int64_t n) {
    double acc[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l)
            acc[l] += static_cast<double>(x[i + l]) * static_cast<double>(y[i + l]);
    double s = 0.0;
    for (; i < n; ++i) s += static_cast<double>(x[i]) * y[i];
    for (int l = 0; l < kLanes; ++l) s += acc[l];
    return s;
}

// E(v, h) from the visible fields W h of the same row (what the sweep just computed).
template <typename T>
double energy_from_visible_fields(const T* v, const T* h, const T* fields_v, std::int64_t n_visible,
                                  std::int64_t n_hidden, const T* visible_bias,
                                  const T* hidden_bias) {
    double acc[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n_visible; i += kLanes)
        for (int l = 0; l < kLanes; ++l)
            acc[l] += static_cast<double>(v[i + l]) *
                      (static_cast<double>(visible_bias[i + l]) + fields_v[i + l]);
    double s = 0.0;
    for (; i < n_visible; ++i)
        s += static_cast<double>(v[i]) * (static_cast<double>(visible_bias[i]) + fields_v[i]);
    for (int l = 0; l < kLanes; ++l) s += acc[l];
    return -(s + dot(h, hidden_bias, n_hidden));
}

// v W h for binary v: acc = sum of the rows of W where v = 1 (elementwise, vectorized),
// then acc . h in double. acc is scratch of n_hidden values.
template <typename T>
double bilinear(const T* v, const T* h, std::int64_t n_visible, std::int64_t n_hidden,
                const T* weights, T* acc) {
    std::fill(acc, acc + n_hidden, T(0));
    for (std::int64_t i = 0; i < n_visible; ++i) {
        if (v[i] == T(0)) continue;
        const T* row = weights + i * n_hidden;
        for (std::int64_t j = 0; j < n_hidden; ++j) acc[j] += row[j];
    }
    return dot(acc, h, n_hidden);
}

template <typename T>
double cross_energy(const T* v, const T* h, const TemperingLadder<T>& ld, std::int64_t m,
                    T* acc) {
    const std::int64_t nv = ld.n_visible, nh = ld.n_hidden;
    const double vwh = bilinear(v, h, nv, nh, ld.weights + m * nv * nh, acc);
    return -(dot(v, ld.visible_bias + m * nv, nv) + dot(h, ld.hidden_bias + m * nh, nh) + vwh);
}

// The replicas [c0, c1) of every slot: rows k * n + c for c in [c0, c1).
struct Columns {
    std::int64_t c0, c1;
};

// One sweep v -> h -> v of the columns' rows at each slot's (model, beta). The called
// kernels draw at counters (block, sweep, k * n + c, stream): the same numbers whatever
// the split into columns.
template <typename T>
void sweep_columns(T* visible, T* hidden, T* fields_h, T* fields_v, const TemperingLadder<T>& ld,
                   PhiloxKey key, std::uint64_t sweep, Columns cols) {
    const std::int64_t n = ld.n_replicas, nv = ld.n_visible, nh = ld.n_hidden;
    const std::int64_t width = cols.c1 - cols.c0;
    for (int half = 0; half < 2; ++half) {
        const bool to_hidden = half == 0;
        const std::int64_t n_in = to_hidden ? nv : nh, n_out = to_hidden ? nh : nv;
        T* in = to_hidden ? visible : hidden;
        T* out = to_hidden ? hidden : visible;
        T* fields = to_hidden ? fields_h : fields_v;
        for (std::int64_t k = 0; k < ld.n_slots; ++k) {
            const std::int64_t m = ld.model[k], row = k * n + cols.c0;
            const T* rows = to_hidden ? ld.weights + m * nv * nh : ld.weights_t + m * nv * nh;
            const T* bias = to_hidden ? ld.hidden_bias + m * nh : ld.visible_bias + m * nv;
            sparse_fields<T>(in + row * n_in, width, n_in, rows, n_out, fields + row * n_out);
            const DrawSpec spec{key, sweep, static_cast<std::uint64_t>(row),
                                to_hidden ? Stream::kHidden : Stream::kVisible};
            sample_from_fields<T>(fields + row * n_out, width, n_out, bias,
                                  static_cast<T>(ld.betas[k]), spec, out + row * n_out, nullptr);
        }
    }
}

template <typename T>
double own_energy(const T* visible, const T* hidden, const T* fields_v,
                  const TemperingLadder<T>& ld, std::int64_t row) {
    const std::int64_t nv = ld.n_visible, nh = ld.n_hidden, m = ld.model[row / ld.n_replicas];
    return energy_from_visible_fields(visible + row * nv, hidden + row * nh, fields_v + row * nv,
                                      nv, nh, ld.visible_bias + m * nv, ld.hidden_bias + m * nh);
}

// One swap event on the columns' replicas. accepts: per-pair counts of this caller.
template <typename T>
void swap_columns(T* visible, T* hidden, const T* fields_v, const TemperingLadder<T>& ld,
                  const TemperingCounters& counters, PhiloxKey key, std::uint64_t event,
                  Columns cols, std::int64_t* accepts, T* acc) {
    const std::int64_t S = ld.n_slots, n = ld.n_replicas, nv = ld.n_visible, nh = ld.n_hidden;
    const std::int64_t parity = static_cast<std::int64_t>(event % 2);
    for (std::int64_t c = cols.c0; c < cols.c1; ++c) {
        for (std::int64_t k = parity; k + 1 < S; k += 2) {
            const std::int64_t x = k * n + c, y = (k + 1) * n + c;
            const std::int64_t mk = ld.model[k], ml = ld.model[k + 1];
            const double ek_x = own_energy(visible, hidden, fields_v, ld, x);
            const double el_y = own_energy(visible, hidden, fields_v, ld, y);
            double ek_y = el_y, el_x = ek_x;  // same model: E_k = E_{k+1}
            if (mk != ml) {
                ek_y = cross_energy(visible + y * nv, hidden + y * nh, ld, mk, acc);
                el_x = cross_energy(visible + x * nv, hidden + x * nh, ld, ml, acc);
            }
            const double log_alpha = ld.betas[k] * (ek_x - ek_y) + ld.betas[k + 1] * (el_y - el_x);
            const Philox4x64Block r = philox4x64_10(
                static_cast<std::uint64_t>(k), event, static_cast<std::uint64_t>(c),
                static_cast<std::uint64_t>(Stream::kTempering), key);
            if (log_alpha >= 0.0 || uniform_double(r.v[0]) < std::exp(log_alpha)) {
                ++accepts[k];
                std::swap_ranges(visible + x * nv, visible + (x + 1) * nv, visible + y * nv);
                std::swap_ranges(hidden + x * nh, hidden + (x + 1) * nh, hidden + y * nh);
                std::swap(counters.walker[x], counters.walker[y]);
            }
        }
        std::int8_t& bottom = counters.direction[counters.walker[c]];
        if (bottom == 2) ++counters.round_trips[c];
        bottom = 1;
        std::int8_t& top = counters.direction[counters.walker[(S - 1) * n + c]];
        if (top == 1) top = 2;
    }
}

// The whole run on the columns [c0, c1): replicas never interact across columns.
template <typename T>
void run_columns(T* visible, T* hidden, T* fields_h, T* fields_v, const TemperingLadder<T>& ld,
                 const TemperingCounters& counters, PhiloxKey key, std::uint64_t first_sweep,
                 std::int64_t n_sweeps, std::int64_t swap_every, Columns cols,
                 std::int64_t* accepts) {
    std::vector<T> acc(static_cast<std::size_t>(ld.n_hidden));
    for (std::int64_t s = 0; s < n_sweeps; ++s) {
        const std::uint64_t sweep = first_sweep + static_cast<std::uint64_t>(s);
        sweep_columns(visible, hidden, fields_h, fields_v, ld, key, sweep, cols);
        if (swap_every > 0 && ld.n_slots > 1 &&
            (sweep + 1) % static_cast<std::uint64_t>(swap_every) == 0) {
            const std::uint64_t event = (sweep + 1) / static_cast<std::uint64_t>(swap_every) - 1;
            swap_columns(visible, hidden, fields_v, ld, counters, key, event, cols, accepts,
                         acc.data());
        }
    }
}

// Number of swap events in sweeps [first, first + count) with swaps every `every`.
inline std::int64_t count_events(std::uint64_t first, std::int64_t count, std::int64_t every,
                                 std::int64_t parity) {
    std::int64_t events = 0;
    if (every <= 0) return 0;
    for (std::int64_t s = 0; s < count; ++s) {
        const std::uint64_t sweep = first + static_cast<std::uint64_t>(s);
        if ((sweep + 1) % static_cast<std::uint64_t>(every) == 0 &&
            static_cast<std::int64_t>(((sweep + 1) / static_cast<std::uint64_t>(every) - 1) % 2) ==
                parity)
            ++events;
    }
    return events;
}

}  // namespace

template <typename T>
double joint_energy(const T* v, const T* h, std::int64_t n_visible, std::int64_t n_hidden,
                    const T* weights, const T* visible_bias, const T* hidden_bias) {
    std::vector<T> acc(static_cast<std::size_t>(n_hidden));
    const double vwh = bilinear(v, h, n_visible, n_hidden, weights, acc.data());
    return -(dot(v, visible_bias, n_visible) + dot(h, hidden_bias, n_hidden) + vwh);
}

template <typename T>
void tempering_sweeps(T* visible, T* hidden, T* fields_h, T* fields_v,
                      const TemperingLadder<T>& ladder, TemperingCounters counters,
                      PhiloxKey key, std::uint64_t first_sweep, std::int64_t n_sweeps,
                      std::int64_t swap_every) {
    const std::int64_t n = ladder.n_replicas, n_pairs = ladder.n_slots - 1;
    // One parallel region for the whole run: each thread owns a block of replica columns
    // (the kernels it calls run single-threaded inside it), so no thread waits for another
    // between sweeps; the results do not depend on the split.
    FirstError errors;
    std::vector<std::int64_t> accepts(static_cast<std::size_t>(n_pairs > 0 ? n_pairs : 0), 0);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
#ifdef PYRBM_HAVE_OPENMP
        const std::int64_t tid = omp_get_thread_num(), n_threads = omp_get_num_threads();
        omp_set_num_threads(1);  // this thread's nested regions (its own ICV only)
#else
        const std::int64_t tid = 0, n_threads = 1;
#endif
        const Columns cols{n * tid / n_threads, n * (tid + 1) / n_threads};
        std::vector<std::int64_t> mine(accepts.size(), 0);
        if (cols.c1 > cols.c0)
            errors.capture([&] {
                run_columns(visible, hidden, fields_h, fields_v, ladder, counters, key,
                            first_sweep, n_sweeps, swap_every, cols, mine.data());
            });
#ifdef PYRBM_HAVE_OPENMP
#pragma omp critical(pyrbm_tempering_accepts)
#endif
        for (std::size_t k = 0; k < mine.size(); ++k) accepts[k] += mine[k];
    }
    errors.rethrow();
    for (std::int64_t k = 0; k < n_pairs; ++k) {
        if (ladder.n_slots > 1)
            counters.attempts[k] += n * count_events(first_sweep, n_sweeps, swap_every, k % 2);
        counters.accepts[k] += accepts[static_cast<std::size_t>(k)];
    }
}

#define PYRBM_INSTANTIATE_TEMPERING(T)                                                          \
    template double joint_energy<T>(const T*, const T*, std::int64_t, std::int64_t, const T*,  \
                                    const T*, const T*);                                        \
    template void tempering_sweeps<T>(T*, T*, T*, T*, const TemperingLadder<T>&,              \
                                      TemperingCounters, PhiloxKey, std::uint64_t,              \
                                      std::int64_t, std::int64_t);

PYRBM_INSTANTIATE_TEMPERING(float)
PYRBM_INSTANTIATE_TEMPERING(double)

}  // namespace pyrbm
