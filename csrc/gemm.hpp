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

// Number of tasks (row block x column block of c) that gemm spreads over the threads
// for an (n x m) output of element size elem_size: fixed by the shape alone.
std::int64_t gemm_tasks(std::int64_t n, std::int64_t m, std::int64_t elem_size);

}  // namespace pyrbm
