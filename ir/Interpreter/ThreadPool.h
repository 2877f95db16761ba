//===- ThreadPool.h - parallelFor over all cores --------------------------===//

#ifndef SSMC_INTERPRETER_THREADPOOL_H
#define SSMC_INTERPRETER_THREADPOOL_H

#include <cstdint>
#include <functional>

namespace ssmc::interp {

/// Splits [0, n) into contiguous chunks of at least `minChunk` and runs
/// fn(begin, end) on a process-wide pool (std::thread::hardware_concurrency()
/// workers, or SSMC_NUM_THREADS) and the caller; returns when all are done.
/// A call from inside fn runs serially.
void parallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)> &fn,
                 int64_t minChunk = 1);

/// Threads parallelFor uses (the caller included).
int numThreads();

} // namespace ssmc::interp

#endif // SSMC_INTERPRETER_THREADPOOL_H
