// Another library's parallel jobs on pyrbm's OpenMP threads: the callback OpenBLAS
// (0.3.27 and later, `openblas_set_threads_callback_function`) calls instead of handing
// the jobs to its own worker threads. Those workers spin for about 0.1 s after every
// call (OPENBLAS_THREAD_TIMEOUT's default) and take a core from pyrbm's threads, so a
// loop that calls NumPy's BLAS between pyrbm calls ran pyrbm at one core's speed
// (bench/RESULTS.md). With the callback both libraries share one thread pool, whose
// workers spin only GOMP_SPINCOUNT iterations before they sleep.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyrbm {

extern "C" {
// OpenBLAS's openblas_dojob_callback: runs job `job` of the array at `data`.
typedef void (*BlasJob)(int job, void* data, int job_arg);

// OpenBLAS's openblas_threads_callback: runs job(i, jobs + i * job_size, job_arg) for
// every i in [0, n_jobs) and returns when all are done. The jobs run at the same time,
// each on its own thread (an OpenMP team of n_jobs, or std::threads where OpenMP gives
// fewer: nested in a parallel region, OMP_THREAD_LIMIT, no OpenMP): OpenBLAS's level-3
// jobs wait for each other's packed panels, so running them one after another would
// never return. OpenBLAS partitions the work itself (by its own thread count), so its
// results do not change. `sync` is always 1 in OpenBLAS; this call always waits.
void run_blas_jobs(int sync, BlasJob job, int n_jobs, std::size_t job_size, void* jobs,
                   int job_arg) noexcept;
}

// Jobs run through run_blas_jobs since the library was loaded (what tests count).
std::int64_t blas_jobs_run();

}  // namespace pyrbm
