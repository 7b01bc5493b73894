// Numerically stable scalar functions shared by the kernels. Written branch-free
// (selects, not ifs) so that loops calling them vectorize without -ffast-math.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pyrbm {

// log(1 + e^x) without overflow for any finite x.
template <typename T> inline T softplus(T x) {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

namespace detail {
inline float exp2i(std::int32_t n) {  // 2^n for n in [-126, 127]
    const std::int32_t bits = (n + 127) << 23;
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}
inline double exp2i(std::int64_t n) {  // 2^n for n in [-1022, 1023]
    const std::int64_t bits = (n + 1023) << 52;
    double out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}
}  // namespace detail

// e^x to within a few ulp (Cody-Waite reduction + polynomial); 0 below the underflow
// limit, +inf above the overflow limit.
inline float exp_vec(float x) {
    const float clamped = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float n = std::nearbyint(clamped * 1.44269504088896341f);
    const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const float scaled = p * detail::exp2i(static_cast<std::int32_t>(n));
    return x < -87.0f ? 0.0f : (x > 88.0f ? INFINITY : scaled);
}

inline double exp_vec(double x) {
    const double clamped = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    const double n = std::nearbyint(clamped * 1.4426950408889634);
    const double r = (clamped - n * 6.93145751953125e-1) - n * 1.42860682030941723212e-6;
    // Taylor series to r^13: |r| <= ln2/2 gives a truncation error below 1e-17.
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const double scaled = p * detail::exp2i(static_cast<std::int64_t>(n));
    return x < -708.0 ? 0.0 : (x > 709.0 ? INFINITY : scaled);
}

// 1 / (1 + e^{-x}): exactly 0 far below and 1 far above.
template <typename T> inline T sigmoid(T x) { return T(1) / (T(1) + exp_vec(-x)); }

}  // namespace pyrbm
