#include "tempering.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gibbs.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

template <typename T> double dot(const T* x, const T* y, std::int64_t n) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * y[i];
    return s;
}

// E(v, h) from the visible fields W h of the same row (what the sweep just computed).
template <typename T>
double energy_from_visible_fields(const T* v, const T* h, const T* fields_v, std::int64_t n_visible,
                                  std::int64_t n_hidden, const T* visible_bias,
                                  const T* hidden_bias) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n_visible; ++i)
        s += static_cast<double>(v[i]) * (static_cast<double>(visible_bias[i]) + fields_v[i]);
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

// One sweep v -> h -> v of every row at its slot's (model, beta).
template <typename T>
void sweep_all(T* visible, T* hidden, T* fields_h, T* fields_v, const TemperingLadder<T>& ld,
               PhiloxKey key, std::uint64_t sweep) {
    const std::int64_t n = ld.n_replicas, nv = ld.n_visible, nh = ld.n_hidden;
    // runs of consecutive slots with the same model share one gather call
    for (int half = 0; half < 2; ++half) {
        const bool to_hidden = half == 0;
        const std::int64_t n_in = to_hidden ? nv : nh, n_out = to_hidden ? nh : nv;
        T* in = to_hidden ? visible : hidden;
        T* out = to_hidden ? hidden : visible;
        T* fields = to_hidden ? fields_h : fields_v;
        for (std::int64_t k0 = 0; k0 < ld.n_slots;) {
            std::int64_t k1 = k0 + 1;
            while (k1 < ld.n_slots && ld.model[k1] == ld.model[k0]) ++k1;
            const std::int64_t m = ld.model[k0];
            const T* rows = to_hidden ? ld.weights + m * nv * nh : ld.weights_t + m * nv * nh;
            sparse_fields<T>(in + k0 * n * n_in, (k1 - k0) * n, n_in, rows, n_out,
                             fields + k0 * n * n_out);
            k0 = k1;
        }
        for (std::int64_t k = 0; k < ld.n_slots; ++k) {
            const std::int64_t m = ld.model[k];
            const T* bias = to_hidden ? ld.hidden_bias + m * nh : ld.visible_bias + m * nv;
            const DrawSpec spec{key, sweep, static_cast<std::uint64_t>(k * n),
                                to_hidden ? Stream::kHidden : Stream::kVisible};
            sample_from_fields<T>(fields + k * n * n_out, n, n_out, bias,
                                  static_cast<T>(ld.betas[k]), spec, out + k * n * n_out,
                                  nullptr);
        }
    }
}

template <typename T>
void swap_event(T* visible, T* hidden, const T* fields_v, double* energy,
                const TemperingLadder<T>& ld, TemperingCounters& counters, PhiloxKey key,
                std::uint64_t event, std::vector<std::int8_t>& accepted) {
    const std::int64_t S = ld.n_slots, n = ld.n_replicas, nv = ld.n_visible, nh = ld.n_hidden;
    parallel_for(S * n, [&](std::int64_t r) {
        const std::int64_t m = ld.model[r / n];
        energy[r] = energy_from_visible_fields(visible + r * nv, hidden + r * nh,
                                               fields_v + r * nv, nv, nh,
                                               ld.visible_bias + m * nv, ld.hidden_bias + m * nh);
    });
    const std::int64_t parity = static_cast<std::int64_t>(event % 2);
    FirstError errors;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        std::vector<T> acc;
        errors.capture([&] { acc.resize(static_cast<std::size_t>(nh)); });
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t c = 0; c < n; ++c) {
            if (acc.size() != static_cast<std::size_t>(nh)) continue;
            for (std::int64_t k = parity; k + 1 < S; k += 2) {
                const std::int64_t x = k * n + c, y = (k + 1) * n + c;
                const std::int64_t mk = ld.model[k], ml = ld.model[k + 1];
                const double ek_x = energy[x], el_y = energy[y];
                double ek_y = el_y, el_x = ek_x;  // same model: E_k = E_{k+1}
                if (mk != ml) {
                    ek_y = cross_energy(visible + y * nv, hidden + y * nh, ld, mk, acc.data());
                    el_x = cross_energy(visible + x * nv, hidden + x * nh, ld, ml, acc.data());
                }
                const double log_alpha =
                    ld.betas[k] * (ek_x - ek_y) + ld.betas[k + 1] * (el_y - el_x);
                const Philox4x64Block r =
                    philox4x64_10(static_cast<std::uint64_t>(k), event,
                                  static_cast<std::uint64_t>(c),
                                  static_cast<std::uint64_t>(Stream::kTempering), key);
                const bool accept = log_alpha >= 0.0 || uniform_double(r.v[0]) < std::exp(log_alpha);
                accepted[static_cast<std::size_t>(x)] = accept;
                if (accept) {
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
    errors.rethrow();
    for (std::int64_t k = parity; k + 1 < S; k += 2) {
        std::int64_t ok = 0;
        for (std::int64_t c = 0; c < n; ++c) ok += accepted[static_cast<std::size_t>(k * n + c)];
        counters.attempts[k] += n;
        counters.accepts[k] += ok;
    }
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
void tempering_sweeps(T* visible, T* hidden, T* fields_h, T* fields_v, double* energy,
                      const TemperingLadder<T>& ladder, TemperingCounters counters,
                      PhiloxKey key, std::uint64_t first_sweep, std::int64_t n_sweeps,
                      std::int64_t swap_every) {
    std::vector<std::int8_t> accepted(
        static_cast<std::size_t>(ladder.n_slots * ladder.n_replicas), 0);
    for (std::int64_t s = 0; s < n_sweeps; ++s) {
        const std::uint64_t sweep = first_sweep + static_cast<std::uint64_t>(s);
        sweep_all(visible, hidden, fields_h, fields_v, ladder, key, sweep);
        if (swap_every > 0 && ladder.n_slots > 1 &&
            (sweep + 1) % static_cast<std::uint64_t>(swap_every) == 0) {
            const std::uint64_t event = (sweep + 1) / static_cast<std::uint64_t>(swap_every) - 1;
            swap_event(visible, hidden, fields_v, energy, ladder, counters, key, event, accepted);
        }
    }
}

#define PYRBM_INSTANTIATE_TEMPERING(T)                                                          \
    template double joint_energy<T>(const T*, const T*, std::int64_t, std::int64_t, const T*,  \
                                    const T*, const T*);                                        \
    template void tempering_sweeps<T>(T*, T*, T*, T*, double*, const TemperingLadder<T>&,      \
                                      TemperingCounters, PhiloxKey, std::uint64_t,              \
                                      std::int64_t, std::int64_t);

PYRBM_INSTANTIATE_TEMPERING(float)
PYRBM_INSTANTIATE_TEMPERING(double)

}  // namespace pyrbm
