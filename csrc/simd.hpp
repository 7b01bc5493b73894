// The one SIMD helper of the kernels: 64-byte vectors through GCC/Clang vector
// extensions (one zmm register on AVX-512, two ymm halves on AVX2, scalar elsewhere),
// and vectors of the build's widest register (VecReg: zmm, ymm or xmm), for kernels
// whose register tiles must fit the register file (16 ymm on AVX2 against 32 zmm);
// unaligned loads and stores through memcpy (no aliasing or alignment UB).
#pragma once

#include <cstdint>
#include <cstring>

namespace pyrbm {

template <typename T> struct Vec64;
template <> struct Vec64<float> { typedef float type __attribute__((vector_size(64))); };
template <> struct Vec64<double> { typedef double type __attribute__((vector_size(64))); };

// Lanes of one 64-byte vector of T.
template <typename T> constexpr std::int64_t kLanes64 = 64 / sizeof(T);

// Bytes of the build's widest vector register.
#if defined(__AVX512F__)
constexpr int kRegBytes = 64;
#elif defined(__AVX__)
constexpr int kRegBytes = 32;
#else
constexpr int kRegBytes = 16;
#endif
// Architectural vector registers: 32 zmm on AVX-512, 16 ymm / xmm below it.
constexpr int kVectorRegisters = kRegBytes == 64 ? 32 : 16;

template <typename T> struct VecReg {
    typedef T type __attribute__((vector_size(kRegBytes)));
};
template <typename T> constexpr std::int64_t kLanesReg = kRegBytes / sizeof(T);

template <typename T> inline typename VecReg<T>::type load_reg(const T* p) {
    typename VecReg<T>::type v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T> inline void store_reg(T* p, const typename VecReg<T>::type& v) {
    std::memcpy(p, &v, sizeof v);
}

template <typename T> inline typename Vec64<T>::type load64(const T* p) {
    typename Vec64<T>::type v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T> inline void store64(T* p, const typename Vec64<T>::type& v) {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace pyrbm
