// Memory-layout helpers of the training loops (no arithmetic on the values).
#pragma once

#include <cstdint>

namespace pyrbm {

// dst (n_cols x n_rows) = transpose of src (n_rows x n_cols), both C-contiguous, in
// cache-sized square tiles spread over the OpenMP threads.
template <typename T>
void transpose(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst);

}  // namespace pyrbm
