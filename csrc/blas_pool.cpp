#include "blas_pool.hpp"

#include "parallel.hpp"

#include <atomic>
#include <thread>
#include <vector>

#ifdef PYRBM_HAVE_OPENMP
#include <omp.h>
#endif

namespace pyrbm {
namespace {
std::atomic<std::int64_t> jobs_run{0};
}  // namespace

extern "C" void run_blas_jobs(int sync, BlasJob job, int n_jobs, std::size_t job_size, void* jobs,
                              int job_arg) noexcept {
    (void)sync;
    if (n_jobs <= 0) return;
    jobs_run += n_jobs;
    auto run = [&](int i) { job(i, static_cast<char*>(jobs) + i * job_size, job_arg); };
#ifdef PYRBM_HAVE_OPENMP
    if (!forked_child()) {  // a forked child cannot start an OpenMP team (parallel.hpp)
        bool complete = true;
#pragma omp parallel num_threads(n_jobs)
        {
            if (omp_get_num_threads() == n_jobs) {
                run(omp_get_thread_num());
            } else if (omp_get_thread_num() == 0) {
                complete = false;  // nothing ran: a smaller team cannot run them together
            }
        }
        if (complete) return;
    }
#endif
    // One std::thread per job beyond the first (a failure to start one terminates:
    // running the jobs in turn would not return either).
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n_jobs - 1));
    for (int i = 1; i < n_jobs; ++i) threads.emplace_back(run, i);
    run(0);
    for (std::thread& t : threads) t.join();
}

std::int64_t blas_jobs_run() { return jobs_run.load(); }

}  // namespace pyrbm
