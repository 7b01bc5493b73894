#include "modes.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "mathutil.hpp"
#include "parallel.hpp"

namespace pyrbm {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::int64_t kLanes = 16;       // V_r rows are padded to a multiple of this
constexpr std::int64_t kFieldTile = 128;  // visible units per field tile

// sin(phi), cos(phi) for |phi| <= pi/4 by Taylor series: to phi^17 / phi^16 in double
// (error < 1e-16), to phi^11 / phi^10 in float (< 1e-9).
inline void sincos_reduced(double phi, double& s, double& c) {
    const double p2 = phi * phi;
    double sp = 1.0 / 355687428096000.0;  // 1/17!
    sp = sp * -p2 + 1.0 / 1307674368000.0;
    sp = sp * -p2 + 1.0 / 6227020800.0;
    sp = sp * -p2 + 1.0 / 39916800.0;
    sp = sp * -p2 + 1.0 / 362880.0;
    sp = sp * -p2 + 1.0 / 5040.0;
    sp = sp * -p2 + 1.0 / 120.0;
    sp = sp * -p2 + 1.0 / 6.0;
    sp = sp * -p2 + 1.0;
    s = sp * phi;
    double cp = 1.0 / 20922789888000.0;  // 1/16!
    cp = cp * -p2 + 1.0 / 87178291200.0;
    cp = cp * -p2 + 1.0 / 479001600.0;
    cp = cp * -p2 + 1.0 / 3628800.0;
    cp = cp * -p2 + 1.0 / 40320.0;
    cp = cp * -p2 + 1.0 / 720.0;
    cp = cp * -p2 + 1.0 / 24.0;
    cp = cp * -p2 + 0.5;
    c = cp * -p2 + 1.0;
}

inline void sincos_reduced(float phi, float& s, float& c) {
    const float p2 = phi * phi;
    float sp = 1.0f / 39916800.0f;  // 1/11!
    sp = sp * -p2 + 1.0f / 362880.0f;
    sp = sp * -p2 + 1.0f / 5040.0f;
    sp = sp * -p2 + 1.0f / 120.0f;
    sp = sp * -p2 + 1.0f / 6.0f;
    sp = sp * -p2 + 1.0f;
    s = sp * phi;
    float cp = 1.0f / 3628800.0f;  // 1/10!
    cp = cp * -p2 + 1.0f / 40320.0f;
    cp = cp * -p2 + 1.0f / 720.0f;
    cp = cp * -p2 + 1.0f / 24.0f;
    cp = cp * -p2 + 0.5f;
    c = cp * -p2 + 1.0f;
}

// sin and cos of 2 pi u for u in [0, 1): quadrant q = round(4u), phi = (4u - q) pi/2 in
// [-pi/4, pi/4], then the quadrant's symmetry.
template <typename T> inline void sincos_2pi(T u, T& s, T& c) {
    const T t = T(4) * u;
    const T q = std::nearbyint(t);
    T sp, cp;
    sincos_reduced((t - q) * static_cast<T>(0.5 * kPi), sp, cp);
    // q (0 to 4) as an integer of T's width: AVX2 does not vectorize a float64 -> int cast
    const auto quadrant = integer_bits(q);
    const bool swap = (quadrant & 1) != 0;
    const T s0 = swap ? cp : sp;
    const T c0 = swap ? sp : cp;
    s = (quadrant & 2) ? -s0 : s0;
    c = ((quadrant + 1) & 2) ? -c0 : c0;
}

// One block of trajectories of one mode: all steps, in place, with moment records.
template <typename T>
void langevin_block(T* x, T* y, std::int64_t n, std::int64_t mode, std::int64_t block,
                    const ModePotential<T>& pot, const LangevinSpec& spec, double* records) {
    constexpr std::int64_t width = UniformsPerBlock<T>::value;
    constexpr std::int64_t kUnits = 2 * kLangevinBlock;
    static_assert(kUnits % width == 0, "a block of trajectories must use whole Philox blocks");
    std::vector<T> u(kUnits), dx(kLangevinBlock, T(0)), dy(kLangevinBlock, T(0));
    std::vector<T> nx(kLangevinBlock), ny(kLangevinBlock);
    std::copy(x, x + n, dx.begin());
    std::copy(y, y + n, dy.begin());
    const T kx = pot.stiffness[2 * mode], ky = pot.stiffness[2 * mode + 1];
    const T c = pot.coupling[mode];
    const T fx = pot.force[2 * mode], fy = pot.force[2 * mode + 1];
    const T gx = pot.cubic[2 * mode], gy = pot.cubic[2 * mode + 1];
    const T qx = pot.quartic[2 * mode], qy = pot.quartic[2 * mode + 1];
    const T dt = static_cast<T>(spec.dt);
    const T amp = static_cast<T>(std::sqrt(2.0 * spec.diffusion * spec.dt));
    const auto first_block = static_cast<std::uint64_t>(block * kUnits / width);
    std::int64_t record = 0;
    for (std::int64_t s = 0; s < spec.n_steps; ++s) {
        uniform_blocks<T>(spec.key, first_block, spec.first_step + static_cast<std::uint64_t>(s),
                          static_cast<std::uint64_t>(mode), Stream::kLangevin, u.data(), kUnits);
        box_muller<T>(u.data(), kLangevinBlock, nx.data(), ny.data());
        T* px = dx.data();
        T* py = dy.data();
        for (std::int64_t i = 0; i < kLangevinBlock; ++i) {
            const T a = px[i], b = py[i];
            const T grad_x = kx * a - c * b - fx + a * a * (gx + qx * a);
            const T grad_y = ky * b - c * a - fy + b * b * (gy + qy * b);
            px[i] = a - dt * grad_x + amp * nx[i];
            py[i] = b - dt * grad_y + amp * ny[i];
        }
        if ((s + 1) % spec.record_every == 0) {
            double sums[5] = {0, 0, 0, 0, 0};
            for (std::int64_t i = 0; i < n; ++i) {  // only the real trajectories
                const double a = px[i], b = py[i];
                sums[0] += a;
                sums[1] += b;
                sums[2] += a * a;
                sums[3] += b * b;
                sums[4] += a * b;
            }
            std::copy(sums, sums + 5, records + 5 * record);
            ++record;
        }
    }
    std::copy(dx.begin(), dx.begin() + n, x);
    std::copy(dy.begin(), dy.begin() + n, y);
}

}  // namespace

template <typename T> void box_muller(const T* u, std::int64_t n, T* nx, T* ny) {
    for (std::int64_t i = 0; i < n; ++i) {
        const T r = std::sqrt(T(-2) * log_vec(T(1) - u[2 * i]));  // 1 - u is exact
        T s, c;
        sincos_2pi(u[2 * i + 1], s, c);
        nx[i] = r * c;
        ny[i] = r * s;
    }
}

template <typename T>
void langevin_modes(T* x, T* y, std::int64_t n_modes, std::int64_t n_traj,
                    const ModePotential<T>& potential, const LangevinSpec& spec,
                    double* moments) {
    const std::int64_t n_blocks = (n_traj + kLangevinBlock - 1) / kLangevinBlock;
    const std::int64_t n_records = spec.n_steps / spec.record_every;
    // Per-block partial sums, reduced below in block order: thread-count independent.
    std::vector<double> partial(static_cast<std::size_t>(n_modes * n_blocks * n_records * 5));
    parallel_for(n_modes * n_blocks, [&](std::int64_t task) {
        const std::int64_t mode = task / n_blocks, block = task % n_blocks;
        const std::int64_t t0 = block * kLangevinBlock;
        const std::int64_t n = std::min(kLangevinBlock, n_traj - t0);
        langevin_block<T>(x + mode * n_traj + t0, y + mode * n_traj + t0, n, mode, block,
                          potential, spec, partial.data() + task * n_records * 5);
    });
    parallel_for(n_modes, [&](std::int64_t mode) {
        double* out = moments + mode * n_records * 5;
        std::fill(out, out + n_records * 5, 0.0);
        for (std::int64_t b = 0; b < n_blocks; ++b) {
            const double* p = partial.data() + (mode * n_blocks + b) * n_records * 5;
            for (std::int64_t k = 0; k < n_records * 5; ++k) out[k] += p[k];
        }
    });
}

template <typename T>
std::int64_t lowrank_sample_visible(const T* hidden, std::int64_t n_chains, std::int64_t n_hidden,
                                    const T* v_r, std::int64_t rank, const T* rotation,
                                    const T* singular_values, const T* u_r_t,
                                    std::int64_t n_visible, const T* visible_bias, T beta,
                                    const DrawSpec& spec, T* states, T* probs) {
    // Rows of V_r padded to whole vectors (rank ~10 is shorter than one vector).
    const std::int64_t padded = (rank + kLanes - 1) / kLanes * kLanes;
    std::vector<T> v_pad(static_cast<std::size_t>(n_hidden * padded), T(0));
    for (std::int64_t j = 0; j < n_hidden; ++j)
        std::copy(v_r + j * rank, v_r + (j + 1) * rank, v_pad.begin() + j * padded);
    // mix = R diag(s), once: then z = mix y costs rank^2 per chain.
    std::vector<T> mix(static_cast<std::size_t>(rank * rank));
    for (std::int64_t k = 0; k < rank; ++k)
        for (std::int64_t l = 0; l < rank; ++l)
            mix[k * rank + l] = rotation[k * rank + l] * singular_values[l];
    FirstError errors;
    std::int64_t ones = 0;
#ifdef PYRBM_HAVE_OPENMP
    // Small batches run on one thread: a parallel region costs more than the work there.
    const bool parallel = n_chains * (n_visible + n_hidden) * rank > (1 << 16);
#pragma omp parallel if (parallel)
#endif
    {
        std::vector<T> y, z, u;
        std::vector<std::int64_t> active;
        errors.capture([&] {
            active.resize(static_cast<std::size_t>(n_hidden));
            y.resize(static_cast<std::size_t>(padded));
            z.resize(static_cast<std::size_t>(rank));
            u.resize(static_cast<std::size_t>(n_visible));
        });
        const bool ready = u.size() == static_cast<std::size_t>(n_visible);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static) reduction(+ : ones)
#endif
        for (std::int64_t c = 0; c < n_chains; ++c) {
            if (!ready) continue;
            const T* h = hidden + c * n_hidden;
            // y = sum of h_j V_r[j, :] over the units with h_j != 0: compacted without
            // branches (a branch per unit mispredicts), then four rows per pass so the
            // adds into y do not form one long dependency chain. Fixed order.
            std::int64_t n_active = 0;
            for (std::int64_t j = 0; j < n_hidden; ++j) {
                active[n_active] = j;
                n_active += h[j] != T(0);
            }
            T* yp = y.data();
            std::fill(y.begin(), y.end(), T(0));
            std::int64_t q = 0;
            for (; q + 4 <= n_active; q += 4) {
                const std::int64_t j0 = active[q], j1 = active[q + 1], j2 = active[q + 2],
                                   j3 = active[q + 3];
                const T h0 = h[j0], h1 = h[j1], h2 = h[j2], h3 = h[j3];
                const T* r0 = v_pad.data() + j0 * padded;
                const T* r1 = v_pad.data() + j1 * padded;
                const T* r2 = v_pad.data() + j2 * padded;
                const T* r3 = v_pad.data() + j3 * padded;
                for (std::int64_t k = 0; k < padded; ++k)
                    yp[k] += (h0 * r0[k] + h1 * r1[k]) + (h2 * r2[k] + h3 * r3[k]);
            }
            for (; q < n_active; ++q) {
                const T hj = h[active[q]];
                const T* row = v_pad.data() + active[q] * padded;
                for (std::int64_t k = 0; k < padded; ++k) yp[k] += hj * row[k];
            }
            for (std::int64_t k = 0; k < rank; ++k) {
                T acc = 0;
                for (std::int64_t l = 0; l < rank; ++l) acc += mix[k * rank + l] * y[l];
                z[k] = acc;
            }
            uniform_row<T>(spec.key, spec.sweep, spec.chain_offset + static_cast<std::uint64_t>(c),
                           spec.stream, u.data(), n_visible);
            T* out = states + c * n_visible;
            T* p_out = probs ? probs + c * n_visible : nullptr;
            // Fields tile by tile, kept in a small accumulator across the rank loop.
            for (std::int64_t i0 = 0; i0 < n_visible; i0 += kFieldTile) {
                const std::int64_t width = std::min(kFieldTile, n_visible - i0);
                T field[kFieldTile];
                std::copy(visible_bias + i0, visible_bias + i0 + width, field);
                for (std::int64_t k = 0; k < rank; ++k) {
                    const T zk = z[k];
                    const T* col = u_r_t + k * n_visible + i0;
                    for (std::int64_t i = 0; i < width; ++i) field[i] += zk * col[i];
                }
                std::int64_t tile_ones = 0;
                for (std::int64_t i = 0; i < width; ++i) {
                    const T p = sigmoid<T>(beta * field[i]);
                    field[i] = p;
                    out[i0 + i] = u[i0 + i] < p ? T(1) : T(0);
                    tile_ones += u[i0 + i] < p;
                }
                if (p_out) std::copy(field, field + width, p_out + i0);
                ones += tile_ones;
            }
        }
    }
    errors.rethrow();
    return ones;
}

#define PYRBM_INSTANTIATE_MODES(T)                                                              \
    template void box_muller<T>(const T*, std::int64_t, T*, T*);                               \
    template void langevin_modes<T>(T*, T*, std::int64_t, std::int64_t,                         \
                                    const ModePotential<T>&, const LangevinSpec&, double*);     \
    template std::int64_t lowrank_sample_visible<T>(                                            \
        const T*, std::int64_t, std::int64_t, const T*, std::int64_t, const T*, const T*,       \
        const T*, std::int64_t, const T*, T, const DrawSpec&, T*, T*);

PYRBM_INSTANTIATE_MODES(float)
PYRBM_INSTANTIATE_MODES(double)

}  // namespace pyrbm
