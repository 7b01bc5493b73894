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

// An integer 0 <= n < 2^52 (2^23 for float) held in a floating-point value, as an
// unsigned integer of the same width, and back: through the mantissa of n + 2^52 (2^23).
// Integer operations only: AVX2 has no double <-> int64 conversion, and one such cast
// kept every float64 loop calling exp_vec or log_vec scalar there.
inline std::uint64_t integer_bits(double n) {
    const double shifted = n + 0x1.0p52;
    std::uint64_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return bits & ((std::uint64_t(1) << 52) - 1);
}
inline std::uint32_t integer_bits(float n) {
    const float shifted = n + 0x1.0p23f;
    std::uint32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return bits & ((std::uint32_t(1) << 23) - 1);
}
inline double integer_value(std::uint64_t n) {
    const std::uint64_t bits = n | 0x4330000000000000ULL;  // the double 2^52 + n
    double out;
    std::memcpy(&out, &bits, sizeof out);
    return out - 0x1.0p52;
}

namespace detail {
inline float exp2i(std::int32_t n) {  // 2^n for n in [-126, 127]
    const std::int32_t bits = (n + 127) << 23;
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}
// 2^n for an integral n in [-1022, 1023] held in a double (see integer_bits).
inline double exp2i(double n) {
    const std::uint64_t bits = integer_bits(n + 1023.0) << 52;
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
    const double scaled = p * detail::exp2i(n);
    return x < -708.0 ? 0.0 : (x > 709.0 ? INFINITY : scaled);
}

// sum_{k=0}^{10} z2^k / (2k + 1) (double) or to k = 5 (float), so that
// 2 z atanh_series(z^2) = 2 atanh(z) = ln((1 + z) / (1 - z)); for |z| <= 0.1716 the
// truncation error is below 1e-17 (double) and 1e-8 (float).
inline double atanh_series(double z2) {
    double p = 1.0 / 21.0;
    p = p * z2 + 1.0 / 19.0;
    p = p * z2 + 1.0 / 17.0;
    p = p * z2 + 1.0 / 15.0;
    p = p * z2 + 1.0 / 13.0;
    p = p * z2 + 1.0 / 11.0;
    p = p * z2 + 1.0 / 9.0;
    p = p * z2 + 1.0 / 7.0;
    p = p * z2 + 1.0 / 5.0;
    p = p * z2 + 1.0 / 3.0;
    return p * z2 + 1.0;
}
inline float atanh_series(float z2) {
    float p = 1.0f / 11.0f;
    p = p * z2 + 1.0f / 9.0f;
    p = p * z2 + 1.0f / 7.0f;
    p = p * z2 + 1.0f / 5.0f;
    p = p * z2 + 1.0f / 3.0f;
    return p * z2 + 1.0f;
}

// ln(x) for positive normal x, branch-free: exponent from the bits, mantissa m in
// [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m - 1) / (m + 1)).
inline double log_vec(double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    double e = integer_value((bits >> 52) & 0x7FF) - 1023.0;  // exact
    const std::uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;
    double m;
    std::memcpy(&m, &mbits, sizeof m);
    const bool high = m > 1.41421356237309504880;
    m = high ? 0.5 * m : m;
    e = high ? e + 1.0 : e;
    const double z = (m - 1.0) / (m + 1.0);
    return e * 0.69314718055994530942 + 2.0 * z * atanh_series(z * z);
}
inline float log_vec(float x) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    std::int32_t e = static_cast<std::int32_t>((bits >> 23) & 0xFF) - 127;
    const std::uint32_t mbits = (bits & 0x007FFFFFU) | 0x3F800000U;
    float m;
    std::memcpy(&m, &mbits, sizeof m);
    const bool high = m > 1.41421356f;
    m = high ? 0.5f * m : m;
    e = high ? e + 1 : e;
    const float z = (m - 1.0f) / (m + 1.0f);
    return static_cast<float>(e) * 0.693147180f + 2.0f * z * atanh_series(z * z);
}

// log(1 + t) for t in [0, 1] to full relative precision, branch-free:
// 2 atanh(t / (2 + t)), or ln 2 + 2 atanh((t - 1) / (t + 3)) above sqrt(2) - 1.
inline double log1p_unit(double t) {
    const bool upper = t > 0.41421356237309515;
    const double s = upper ? (t - 1.0) / (t + 3.0) : t / (t + 2.0);
    return (upper ? 0.6931471805599453 : 0.0) + 2.0 * s * atanh_series(s * s);
}

// softplus that vectorizes (std::log1p does not); relative error ~1e-16.
inline double softplus_vec(double x) {
    return (x > 0.0 ? x : 0.0) + log1p_unit(exp_vec(-std::fabs(x)));
}

// 1 / (1 + e^{-x}): exactly 0 far below and 1 far above.
template <typename T> inline T sigmoid(T x) { return T(1) / (T(1) + exp_vec(-x)); }

}  // namespace pyrbm
