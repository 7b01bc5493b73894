// Matrix products on pyrbm's own OpenMP threads, with bits that depend on neither the
// thread count nor the partition: every output entry is one FMA chain over k in
// ascending order, starting from 0 (or from the output, when accumulating).
//
// A consequence the engine relies on: for a {0, 1} left factor the chain adds exactly
// the rows of the right factor where the state is 1, in ascending order, from 0 -- the
// sum the gather-add (gather.hpp) forms. Dense and sparse fields are bit-identical, so
// which path runs can never change a result.
#pragma once

#include <cstdint>
#include <vector>

namespace pyrbm {

// A read-only matrix view: element (i, j) at data[i * row_stride + j * col_stride].
template <typename T> struct MatrixView {
    const T* data;
    std::int64_t rows, cols, row_stride, col_stride;
};

// c (a.rows x b.cols, C-contiguous) = a @ b, or c += a @ b with accumulate. a.cols must
// equal b.rows. Runs in its own OpenMP region over gemm_tasks() fixed tasks.
template <typename T>
void gemm(const MatrixView<T>& a, const MatrixView<T>& b, T* c, bool accumulate);

// A right factor packed once into the micro-kernel's column panels, for many products
// with the same matrix (the weights over the k sweeps of an update).
template <typename T> class PackedRight {
  public:
    // Packs b (any strides) in parallel over its panels (its own OpenMP region).
    void pack(const MatrixView<T>& b);
    std::int64_t rows() const { return rows_; }
    std::int64_t cols() const { return cols_; }
    const T* data() const { return data_.data(); }

  private:
    std::vector<T> data_;
    std::int64_t rows_ = 0, cols_ = 0;
};

// Rows of a register tile (of two vector registers of columns): gemm_serial is fastest
// for n a multiple of it. 14 x 2 of the 32 zmm accumulators on AVX-512; 6 x 2 of the 16
// ymm on AVX2 (a 14-row tile there spilled its accumulators: 45x slower than OpenBLAS).
// Kernel translation units only (the bindings, compiled without the ISA flags, would
// read the other value): elsewhere use gemm_row_tile().
#if defined(PYRBM_KERNEL_TU)
#if defined(__AVX512F__)
constexpr std::int64_t kGemmRowTile = 14;
#else
constexpr std::int64_t kGemmRowTile = 6;
#endif
#endif

// kGemmRowTile as compiled into the kernels.
std::int64_t gemm_row_tile();

// Columns of a register tile for element size elem_size (two vector registers).
std::int64_t gemm_col_tile(std::int64_t elem_size);

// c (n x b.cols(), row stride ldc) = a (n x b.rows(), row stride lda) @ b on the calling
// thread only, with the same bits as gemm. scratch: b.rows() * (n rounded up to a
// multiple of kGemmRowTile) values.
template <typename T>
void gemm_serial(const T* a, std::int64_t n, std::int64_t lda, const PackedRight<T>& b, T* c,
                 std::int64_t ldc, T* scratch);

// Number of tasks (row block x column block of c) that gemm spreads over the threads
// for an (n x m) output of element size elem_size: fixed by the shape alone.
std::int64_t gemm_tasks(std::int64_t n, std::int64_t m, std::int64_t elem_size);

}  // namespace pyrbm
