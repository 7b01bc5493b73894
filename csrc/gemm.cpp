#include "gemm.hpp"

#include <algorithm>
#include <vector>

#include "parallel.hpp"
#include "simd.hpp"
#include "transpose_simd.hpp"

namespace pyrbm {
namespace {

// Register tile: kMR rows x 2 vector registers of columns (AVX-512: 28 of the 32 zmm;
// AVX2: 12 of the 16 ymm).
// Measured against OpenBLAS 0.3.30 (scipy's), 1000x784 @ 784x500, one thread, CPU time,
// on AVX-512 (on AVX2, Zen 3, 6 x 2 ymm: 1.00-1.06x, bench/RESULTS.md "Ninth pass"):
// float32 1.02-1.07x, float64 1.06-1.16x for kMR in {8, 12, 14} x kRowPanels in
// {4, 8, 16}; 14 x 8 was the best pair for float64 and as good as any for float32.
constexpr std::int64_t kMR = kGemmRowTile;
// Task: kRowPanels register rows x kColPanels register columns. For 1000 x 500 float32
// outputs this gives 9 x 4 = 36 tasks on AVX-512 (float64: 9 x 8 = 72), enough for 32
// threads; 21 x 8 = 168 with AVX2's smaller tiles.
constexpr std::int64_t kRowPanels = 8;
constexpr std::int64_t kColPanels = 4;

template <typename T> constexpr std::int64_t kNR = 2 * kLanesReg<T>;

template <typename T> struct Partition {
    std::int64_t row_blocks, col_blocks, b_panels;
    Partition(std::int64_t n, std::int64_t m)
        : row_blocks((n + kMR * kRowPanels - 1) / (kMR * kRowPanels)),
          col_blocks((m + kNR<T> * kColPanels - 1) / (kNR<T> * kColPanels)),
          b_panels((m + kNR<T> - 1) / kNR<T>) {}
    std::int64_t tasks() const { return row_blocks * col_blocks; }
};

// bp (k x kNR, row p = columns [j0, j0 + kNR) of row p of b, zero-padded).
template <typename T>
void pack_b(const MatrixView<T>& b, std::int64_t j0, T* bp) {
    constexpr std::int64_t nr = kNR<T>;
    const std::int64_t width = std::min(nr, b.cols - j0);
    for (std::int64_t p = 0; p < b.rows; ++p) {
        const T* src = b.data + p * b.row_stride + j0 * b.col_stride;
        T* dst = bp + p * nr;
        if (b.col_stride == 1) {
            std::copy(src, src + width, dst);
        } else {
            for (std::int64_t j = 0; j < width; ++j) dst[j] = src[j * b.col_stride];
        }
        std::fill(dst + width, dst + nr, T(0));
    }
}

#if defined(__AVX512F__)
// The columns [0, p_end) of rows [i0, i0 + height) of a (contiguous rows) into ap, a
// vector's lanes of columns at a time through an in-register transpose (the scalar
// loop's stores land kMR values apart: 0.39 ms per 1000 x 784 float32 rows, 7 % of the
// product); rows from height to kMR are zeros. Returns p_end; pack_a does the rest.
static_assert(kMR <= 16, "one float32 vector of rows per column");
inline std::int64_t pack_a_vectors(const MatrixView<float>& a, std::int64_t i0,
                                   std::int64_t height, float* ap) {
    const auto keep = static_cast<__mmask16>((1u << kMR) - 1u);
    std::int64_t p0 = 0;
    for (; p0 + 16 <= a.cols; p0 += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; ++i)
            r[i] = i < height ? _mm512_loadu_ps(a.data + (i0 + i) * a.row_stride + p0)
                              : _mm512_setzero_ps();
        transpose_registers(r);
        for (int j = 0; j < 16; ++j) _mm512_mask_storeu_ps(ap + (p0 + j) * kMR, keep, r[j]);
    }
    return p0;
}

// float64: rows [0, 8) and [8, kMR) of the tile as two 8 x 8 blocks.
inline std::int64_t pack_a_vectors(const MatrixView<double>& a, std::int64_t i0,
                                   std::int64_t height, double* ap) {
    std::int64_t p0 = 0;
    for (; p0 + 8 <= a.cols; p0 += 8) {
        for (int half = 0; half < 2; ++half) {
            __m512d r[8];
            for (int i = 0; i < 8; ++i) {
                const int row = 8 * half + i;
                r[i] = row < height ? _mm512_loadu_pd(a.data + (i0 + row) * a.row_stride + p0)
                                    : _mm512_setzero_pd();
            }
            transpose_registers(r);
            const auto keep = static_cast<__mmask8>(half == 0 ? 0xFFu : (1u << (kMR - 8)) - 1u);
            for (int j = 0; j < 8; ++j)
                _mm512_mask_storeu_pd(ap + (p0 + j) * kMR + 8 * half, keep, r[j]);
        }
    }
    return p0;
}
#endif

// ap (k x kMR, row p = column p of rows [i0, i0 + kMR) of a, zero-padded).
template <typename T>
void pack_a(const MatrixView<T>& a, std::int64_t i0, T* ap) {
    const std::int64_t height = std::min(kMR, a.rows - i0);
    std::int64_t p0 = 0;  // columns before p0 are packed (rows past height included)
    if (a.col_stride == 1) {  // rows contiguous: read each row once, write strided
#if defined(__AVX512F__)
        p0 = pack_a_vectors(a, i0, height, ap);
#endif
        for (std::int64_t r = 0; r < height; ++r) {
            const T* src = a.data + (i0 + r) * a.row_stride;
            for (std::int64_t p = p0; p < a.cols; ++p) ap[p * kMR + r] = src[p];
        }
    } else {
        for (std::int64_t p = 0; p < a.cols; ++p) {
            const T* src = a.data + i0 * a.row_stride + p * a.col_stride;
            for (std::int64_t r = 0; r < height; ++r) ap[p * kMR + r] = src[r * a.row_stride];
        }
    }
    for (std::int64_t r = height; r < kMR; ++r)
        for (std::int64_t p = p0; p < a.cols; ++p) ap[p * kMR + r] = T(0);
}

// c[0:rows, 0:cols] (=|+=) ap^T bp: one FMA chain per entry, ascending p.
template <typename T>
void micro_tile(const T* ap, const T* bp, std::int64_t k, T* c, std::int64_t ldc,
                std::int64_t rows, std::int64_t cols, bool accumulate) {
    using V = typename VecReg<T>::type;
    constexpr std::int64_t L = kLanesReg<T>, nr = kNR<T>;
    const bool full = rows == kMR && cols == nr;
    alignas(64) T edge[kMR * nr];
    V acc0[kMR], acc1[kMR];
    if (!accumulate) {
        for (std::int64_t r = 0; r < kMR; ++r) acc0[r] = acc1[r] = V{};
    } else if (full) {
        for (std::int64_t r = 0; r < kMR; ++r) {
            acc0[r] = load_reg(c + r * ldc);
            acc1[r] = load_reg(c + r * ldc + L);
        }
    } else {
        std::fill(edge, edge + kMR * nr, T(0));
        for (std::int64_t r = 0; r < rows; ++r)
            std::copy(c + r * ldc, c + r * ldc + cols, edge + r * nr);
        for (std::int64_t r = 0; r < kMR; ++r) {
            acc0[r] = load_reg(edge + r * nr);
            acc1[r] = load_reg(edge + r * nr + L);
        }
    }
    for (std::int64_t p = 0; p < k; ++p) {
        const V b0 = load_reg(bp + p * nr), b1 = load_reg(bp + p * nr + L);
        const T* x = ap + p * kMR;
#pragma GCC unroll 14
        for (std::int64_t r = 0; r < kMR; ++r) {
            acc0[r] += x[r] * b0;  // contracted to one FMA (gemm.cpp: -ffp-contract=fast)
            acc1[r] += x[r] * b1;
        }
    }
    if (full) {
        for (std::int64_t r = 0; r < kMR; ++r) {
            store_reg(c + r * ldc, acc0[r]);
            store_reg(c + r * ldc + L, acc1[r]);
        }
        return;
    }
    for (std::int64_t r = 0; r < kMR; ++r) {
        store_reg(edge + r * nr, acc0[r]);
        store_reg(edge + r * nr + L, acc1[r]);
    }
    for (std::int64_t r = 0; r < rows; ++r)
        std::copy(edge + r * nr, edge + r * nr + cols, c + r * ldc);
}

template <typename T> struct GemmScratch {
    std::vector<T> packed_a, packed_b;
};

}  // namespace

std::int64_t gemm_row_tile() { return kGemmRowTile; }

std::int64_t gemm_col_tile(std::int64_t elem_size) {
    return elem_size == 4 ? kNR<float> : kNR<double>;
}

std::int64_t gemm_tasks(std::int64_t n, std::int64_t m, std::int64_t elem_size) {
    return elem_size == 4 ? Partition<float>(n, m).tasks() : Partition<double>(n, m).tasks();
}

template <typename T>
void gemm(const MatrixView<T>& a, const MatrixView<T>& b, T* c, bool accumulate) {
    const std::int64_t n = a.rows, k = a.cols, m = b.cols;
    if (n <= 0 || m <= 0) return;
    if (k == 0) {
        if (!accumulate) std::fill(c, c + n * m, T(0));
        return;
    }
    constexpr std::int64_t nr = kNR<T>;
    const Partition<T> part(n, m);
    const std::int64_t a_panels = (n + kMR - 1) / kMR;
    thread_local GemmScratch<T> scratch;  // the calling thread's: reused across calls
    FirstError errors;  // allocation failure -> std::bad_alloc -> MemoryError
    errors.capture([&] {
        scratch.packed_a.resize(std::max(scratch.packed_a.size(),
                                         static_cast<std::size_t>(a_panels * k * kMR)));
        scratch.packed_b.resize(std::max(scratch.packed_b.size(),
                                         static_cast<std::size_t>(part.b_panels * k * nr)));
    });
    errors.rethrow();
    T* packed_a = scratch.packed_a.data();
    T* packed_b = scratch.packed_b.data();
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel
#endif
    {
        // Both factors are packed once per call (each panel by one thread), so every
        // task's micro-kernel streams contiguous panels.
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (std::int64_t panel = 0; panel < a_panels; ++panel)
            pack_a(a, panel * kMR, packed_a + panel * k * kMR);
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t panel = 0; panel < part.b_panels; ++panel)
            pack_b(b, panel * nr, packed_b + panel * k * nr);
        // Tasks column-block-major: a thread's consecutive tasks share their panels of b.
        // Handed out dynamically: a thread whose core is taken (by another process, or
        // by numpy's BLAS workers spinning after a call) takes fewer tasks. The bits do
        // not depend on which thread computes a task.
#ifdef PYRBM_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (std::int64_t task = 0; task < part.tasks(); ++task) {
            const std::int64_t cb = task / part.row_blocks, rb = task % part.row_blocks;
            const std::int64_t p_end = std::min(part.b_panels, (cb + 1) * kColPanels);
            const std::int64_t a_end = std::min(a_panels, (rb + 1) * kRowPanels);
            for (std::int64_t panel = cb * kColPanels; panel < p_end; ++panel) {
                const std::int64_t j0 = panel * nr;
                for (std::int64_t ap = rb * kRowPanels; ap < a_end; ++ap) {
                    const std::int64_t i0 = ap * kMR;
                    micro_tile<T>(packed_a + ap * k * kMR, packed_b + panel * k * nr, k,
                                  c + i0 * m + j0, m, std::min(kMR, n - i0), std::min(nr, m - j0),
                                  accumulate);
                }
            }
        }
    }
}

template <typename T> void PackedRight<T>::pack(const MatrixView<T>& b) {
    constexpr std::int64_t nr = kNR<T>;
    const std::int64_t panels = (b.cols + nr - 1) / nr;
    data_.resize(static_cast<std::size_t>(panels * b.rows * nr));
    rows_ = b.rows;
    cols_ = b.cols;
    T* out = data_.data();
    parallel_for(panels, [&](std::int64_t p) { pack_b(b, p * nr, out + p * b.rows * nr); });
}

template <typename T>
void gemm_serial(const T* a, std::int64_t n, std::int64_t lda, const PackedRight<T>& b, T* c,
                 std::int64_t ldc, T* scratch) {
    constexpr std::int64_t nr = kNR<T>;
    const std::int64_t k = b.rows(), m = b.cols(), panels = (m + nr - 1) / nr;
    const MatrixView<T> va{a, n, k, lda, 1};
    const std::int64_t tiles = (n + kMR - 1) / kMR;
    for (std::int64_t t = 0; t < tiles; ++t) pack_a(va, t * kMR, scratch + t * k * kMR);
    // Panels of b outer: each is read once for all the row tiles of a.
    for (std::int64_t p = 0; p < panels; ++p)
        for (std::int64_t t = 0; t < tiles; ++t)
            micro_tile<T>(scratch + t * k * kMR, b.data() + p * k * nr, k,
                          c + t * kMR * ldc + p * nr, ldc, std::min(kMR, n - t * kMR),
                          std::min(nr, m - p * nr), false);
}

template class PackedRight<float>;
template class PackedRight<double>;
template void gemm_serial<float>(const float*, std::int64_t, std::int64_t,
                                 const PackedRight<float>&, float*, std::int64_t, float*);
template void gemm_serial<double>(const double*, std::int64_t, std::int64_t,
                                  const PackedRight<double>&, double*, std::int64_t, double*);
template void gemm<float>(const MatrixView<float>&, const MatrixView<float>&, float*, bool);
template void gemm<double>(const MatrixView<double>&, const MatrixView<double>&, double*, bool);

}  // namespace pyrbm
