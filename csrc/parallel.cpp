#include "parallel.hpp"

#include <pthread.h>

#include <atomic>

namespace pyrbm {
namespace {

std::atomic<bool> in_child{false};

extern "C" void after_fork_in_child() noexcept {
    in_child.store(true);
#ifdef PYRBM_HAVE_OPENMP
    omp_set_num_threads(1);  // the forking thread's ICV: the child's only thread
#endif
}

// Registered when the module loads, before any kernel can start a team.
const int registered = pthread_atfork(nullptr, nullptr, &after_fork_in_child);

}  // namespace

bool forked_child() noexcept {
    (void)registered;
    return in_child.load();
}

int set_threads(int n) noexcept {
#ifdef PYRBM_HAVE_OPENMP
    if (forked_child()) n = 1;
    if (n > 0) omp_set_num_threads(n);
    return omp_get_max_threads();
#else
    (void)n;
    return 1;
#endif
}

}  // namespace pyrbm
