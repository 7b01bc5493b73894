// OpenMP helpers: thread control and carrying the first exception out of a parallel loop.
#pragma once

#include <cstdint>
#include <exception>
#include <mutex>

#ifdef PYRBM_HAVE_OPENMP
#include <omp.h>
#endif

namespace pyrbm {

inline int max_threads() {
#ifdef PYRBM_HAVE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

// True in a process forked from this one (pthread_atfork, parallel.cpp). GNU OpenMP is
// not fork-safe: a team started in the child waits forever for the parent's workers,
// which the child does not have. So a forked child runs every kernel on its one thread
// (the results do not depend on the thread count) and OpenBLAS's jobs on std::threads.
bool forked_child() noexcept;

// Sets the kernels' thread count (n > 0); in a forked child only 1 is possible.
// Returns the count now in effect.
int set_threads(int n) noexcept;

inline bool have_openmp() {
#ifdef PYRBM_HAVE_OPENMP
    return true;
#else
    return false;
#endif
}

// Exceptions must not cross an OpenMP region boundary: each iteration runs its body
// through capture(), the first exception is kept and rethrown after the loop.
class FirstError {
  public:
    template <typename F> void capture(F&& body) noexcept {
        try {
            body();
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
    }
    void rethrow() const {
        if (error_) std::rethrow_exception(error_);
    }

  private:
    std::exception_ptr error_;
    std::mutex mutex_;
};

// Runs body(i) for i in [0, n), in parallel over i, rethrowing the first exception.
template <typename F> void parallel_for(std::int64_t n, F&& body) {
    FirstError errors;
#ifdef PYRBM_HAVE_OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (std::int64_t i = 0; i < n; ++i) {
        errors.capture([&] { body(i); });
    }
    errors.rethrow();
}

}  // namespace pyrbm
