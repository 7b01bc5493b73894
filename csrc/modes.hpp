// Reciprocal-mode kernels (paper-notes E12-E16 and hierarchical probing):
//  * overdamped Langevin dynamics of many 2-D modes x many trajectories
//    (Euler-Maruyama, Philox + Box-Muller noise), recording moments, not trajectories;
//  * low-rank "reciprocal Gibbs": visible fields a + U_r R diag(s_r) V_r^T h at cost
//    O(r (N + M)) per chain, fused with sigmoid and Bernoulli sampling.
// Arrays are C-contiguous. No Python headers.
#pragma once

#include <cstdint>

#include "gibbs.hpp"
#include "rng.hpp"

namespace pyrbm {

// Potential of one mode in the kernel's coordinates d = (dx, dy), the displacements of
// (x_i, y_i) from fixed reference points (the Python layer uses the prior means mu_x, mu_y):
//   Phi(d) = kx dx^2/2 + ky dy^2/2 - c dx dy - fx dx - fy dy
//            + (gx dx^3 + gy dy^3)/3 + (qx dx^4 + qy dy^4)/4.
// Every array has one row per mode; cubic / quartic hold (gx, gy) / (qx, qy).
template <typename T> struct ModePotential {
    const T* stiffness;  // n_modes x 2: (kx, ky)
    const T* coupling;   // n_modes: c
    const T* force;      // n_modes x 2: (fx, fy)
    const T* cubic;      // n_modes x 2: (gx, gy)
    const T* quartic;    // n_modes x 2: (qx, qy)
};

struct LangevinSpec {
    PhiloxKey key;
    double dt;
    double diffusion;         // D: noise sqrt(2 D dt) per step
    std::uint64_t first_step; // counter of the first step taken (continuation of a run)
    std::int64_t n_steps;
    std::int64_t record_every;  // record moments after every record_every-th step
};

// Trajectories are processed in blocks of this many (fixed: results depend on it, never
// on the thread count).
constexpr std::int64_t kLangevinBlock = 128;

// Euler-Maruyama for dd = -grad Phi dt + sqrt(2 D) dW, in place on x, y (n_modes x
// n_traj: dx and dy of every mode and trajectory). Step s (0-based) of trajectory t of
// mode m uses the uniforms u1, u2 = entries 2t, 2t+1 of
// uniform_row<T>(key, first_step + s, m, Stream::kLangevin, ., 2 n_traj) and the
// Box-Muller normals nx = r cos(2 pi u2), ny = r sin(2 pi u2), r = sqrt(-2 ln(1 - u1)).
// moments (n_modes x n_records x 5, n_records = n_steps / record_every) receives, after
// step (k + 1) record_every, the sums over trajectories of dx, dy, dx^2, dy^2, dx dy.
template <typename T>
void langevin_modes(T* x, T* y, std::int64_t n_modes, std::int64_t n_traj,
                    const ModePotential<T>& potential, const LangevinSpec& spec,
                    double* moments);

// Standard normals by Box-Muller from pairs of uniforms in [0, 1): for i < n,
// nx[i] = r cos(2 pi u[2i+1]), ny[i] = r sin(2 pi u[2i+1]), r = sqrt(-2 ln(1 - u[2i])).
// Computed in T with branch-free polynomial log/sin/cos (so the loop vectorizes): error
// ~1e-15 in double, ~1e-6 relative in float.
template <typename T> void box_muller(const T* u, std::int64_t n, T* nx, T* ny);

// Low-rank visible sampling. For each chain c:
//   y = V_r^T h_c (v_r: n_hidden x rank; sum over the units with h != 0 in a fixed order),
//   z = R diag(s) y (rotation: rank x rank, singular_values: rank),
//   p_i = sigmoid(beta (a_i + sum_k U_r[i, k] z_k))  (u_r_t = U_r^T: rank x n_visible),
//   states[c, i] = u < p_i with u from Philox at (block, spec.sweep, spec.chain_offset + c,
//   spec.stream), exactly as sample_from_fields draws.
// probs (optional) receives p. Returns the number of ones drawn.
template <typename T>
std::int64_t lowrank_sample_visible(const T* hidden, std::int64_t n_chains, std::int64_t n_hidden,
                                    const T* v_r, std::int64_t rank, const T* rotation,
                                    const T* singular_values, const T* u_r_t,
                                    std::int64_t n_visible, const T* visible_bias, T beta,
                                    const DrawSpec& spec, T* states, T* probs);

}  // namespace pyrbm
