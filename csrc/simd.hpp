// The one SIMD helper of the kernels: 64-byte vectors through GCC/Clang vector
// extensions (one zmm register on AVX-512, two ymm halves on AVX2, scalar elsewhere),
// with unaligned loads and stores through memcpy (no aliasing or alignment UB).
#pragma once

#include <cstdint>
#include <cstring>

namespace pyrbm {

template <typename T> struct Vec64;
template <> struct Vec64<float> { typedef float type __attribute__((vector_size(64))); };
template <> struct Vec64<double> { typedef double type __attribute__((vector_size(64))); };

// Lanes of one 64-byte vector of T.
template <typename T> constexpr std::int64_t kLanes64 = 64 / sizeof(T);

template <typename T> inline typename Vec64<T>::type load64(const T* p) {
    typename Vec64<T>::type v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T> inline void store64(T* p, const typename Vec64<T>::type& v) {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace pyrbm
