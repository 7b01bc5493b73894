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
#include <type_traits>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

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

// The first n lanes (0 < n <= lanes) of a register: masked loads and stores, which read
// and write nothing past them (no fault at an array's end, no write to a neighbour).
template <typename T> struct PartialReg {
    using Vec = typename VecReg<T>::type;
#if defined(__AVX512F__)
    using Mask = std::conditional_t<sizeof(T) == 4, __mmask16, __mmask8>;
    Mask mask;
    explicit PartialReg(int n) : mask(static_cast<Mask>((1u << n) - 1u)) {}
    Vec load(const T* p) const {
        if constexpr (sizeof(T) == 4) return (Vec)_mm512_maskz_loadu_ps(mask, p);
        else return (Vec)_mm512_maskz_loadu_pd(mask, p);
    }
    void store(T* p, const Vec& v) const {
        if constexpr (sizeof(T) == 4) _mm512_mask_storeu_ps(p, mask, (__m512)v);
        else _mm512_mask_storeu_pd(p, mask, (__m512d)v);
    }
#elif defined(__AVX2__)
    __m256i mask;  // lanes below n all ones
    explicit PartialReg(int n) {
        if constexpr (sizeof(T) == 4)
            mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        else
            mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
    }
    Vec load(const T* p) const {
        if constexpr (sizeof(T) == 4) return (Vec)_mm256_maskload_ps(p, mask);
        else return (Vec)_mm256_maskload_pd(p, mask);
    }
    void store(T* p, const Vec& v) const {
        if constexpr (sizeof(T) == 4) _mm256_maskstore_ps(p, mask, (__m256)v);
        else _mm256_maskstore_pd(p, mask, (__m256d)v);
    }
#else
    int n;
    explicit PartialReg(int lanes) : n(lanes) {}
    Vec load(const T* p) const {
        Vec v{};
        std::memcpy(&v, p, static_cast<std::size_t>(n) * sizeof(T));
        return v;
    }
    void store(T* p, const Vec& v) const {
        std::memcpy(p, &v, static_cast<std::size_t>(n) * sizeof(T));
    }
#endif
};

}  // namespace pyrbm
