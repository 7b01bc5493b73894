// The one SIMD helper of the kernels: vectors of the build's widest register (zmm on
// AVX-512, ymm on AVX/AVX2, xmm elsewhere) through GCC/Clang vector extensions, with
// unaligned loads and stores through memcpy (no aliasing or alignment UB). Register
// tiles are sized in these registers: a tile of 64-byte vectors written for AVX-512's
// 32 zmm spills on AVX2's 16 ymm (measured on Zen 3: a GEMM 45x slower than OpenBLAS).
#pragma once

// Sized by the build's ISA flags, which only the kernel library is compiled with.
#if !defined(PYRBM_KERNEL_TU)
#error "simd.hpp: kernel translation units only (see CMakeLists.txt)"
#endif

#include <cstdint>
#include <cstring>

namespace pyrbm {

// Bytes of the build's widest vector register.
#if defined(__AVX512F__)
constexpr int kRegBytes = 64;
#elif defined(__AVX__)
constexpr int kRegBytes = 32;
#else
constexpr int kRegBytes = 16;
#endif

template <typename T> struct VecReg {
    typedef T type __attribute__((vector_size(kRegBytes)));
};
// Lanes of one register of T.
template <typename T> constexpr std::int64_t kLanesReg = kRegBytes / sizeof(T);

template <typename T> inline typename VecReg<T>::type load_reg(const T* p) {
    typename VecReg<T>::type v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T> inline void store_reg(T* p, const typename VecReg<T>::type& v) {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace pyrbm
