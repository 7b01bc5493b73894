// Microbenchmark of the float32 uniforms of one row (csrc/rng.hpp's uniform_row): the
// scalar Philox4x64-10 against the vector one (csrc/rng.cpp: AVX-512 or AVX2, whichever
// the build machine has), and the same words
// checked bit for bit. Build and run from the repository root (1 thread, the numbers
// RESULTS.md quotes; the binary goes to a temporary folder):
//   out=$(mktemp -d)
//   g++ -O3 -march=native -std=c++17 -I csrc bench/philox_simd.cpp csrc/rng.cpp -o "$out/p"
//   "$out/p"
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "rng.hpp"

using namespace pyrbm;

template <typename F> double best_ns(F f, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    return best;
}

template <typename T> void row_scalar(PhiloxKey key, std::uint64_t sweep, std::uint64_t chain,
                                      T* out, std::int64_t n) {
    constexpr int width = UniformsPerBlock<T>::value;
    for (std::int64_t start = 0, block = 0; start < n; start += width, ++block) {
        const int count = static_cast<int>(n - start < width ? n - start : width);
        uniform_block<T>(key, static_cast<std::uint64_t>(block), sweep, chain, Stream::kVisible,
                         out + start, count);
    }
}

template <typename T> int run(const char* name) {
    const PhiloxKey key{0x0123456789ABCDEFULL, 0xFEDCBA9876543210ULL};
    int bad = 0;
    for (std::int64_t n : {1, 7, 8, 9, 63, 64, 65, 500, 784, 1000, 1337}) {
        std::vector<T> a(n), b(n);
        for (std::uint64_t chain = 0; chain < 50; ++chain) {
            row_scalar<T>(key, 3, chain, a.data(), n);
            uniform_row<T>(key, 3, chain, Stream::kVisible, b.data(), n);
            if (std::memcmp(a.data(), b.data(), n * sizeof(T)) != 0) ++bad;
        }
    }
    const std::int64_t rows = 1000, n = 784;
    std::vector<T> out(n);
    volatile T sink = 0;
    const double ts = best_ns([&] {
        for (std::int64_t c = 0; c < rows; ++c) { row_scalar<T>(key, 1, c, out.data(), n); sink = sink + out[5]; }
    }, 20);
    const double tv = best_ns([&] {
        for (std::int64_t c = 0; c < rows; ++c) { uniform_row<T>(key, 1, c, Stream::kVisible, out.data(), n); sink = sink + out[5]; }
    }, 20);
    const double blocks = rows * ((n + UniformsPerBlock<T>::value - 1) / UniformsPerBlock<T>::value);
    std::printf("%s: 1000 rows x 784: scalar %.3f ms (%.2f ns/block), uniform_row %.3f ms "
                "(%.2f ns/block), speed-up %.2fx, mismatching rows %d\n",
                name, ts * 1e-6, ts / blocks, tv * 1e-6, tv / blocks, ts / tv, bad);
    return bad;
}

int main() { return run<float>("float32") + run<double>("float64"); }
