//===- ThreadPool.cpp - a process-wide pool for the reference kernels -----===//

#include "Interpreter/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace ssmc::interp {
namespace {

using ChunkFn = std::function<void(int64_t, int64_t)>;

/// True on pool workers always, and on a caller while it runs its job:
/// parallelFor called there runs serially instead of waiting on itself.
thread_local bool insideParallelFor = false;

int threadsFromEnvironment() {
  if (const char *env = std::getenv("SSMC_NUM_THREADS")) {
    char *end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value >= 1)
      return static_cast<int>(std::min(value, 1024L));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

class ThreadPool {
public:
  explicit ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i)
      workers_.emplace_back([this] { workerLoop(); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }

  static ThreadPool &instance() {
    static ThreadPool pool(threadsFromEnvironment());
    return pool;
  }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs the chunks with the workers' help; false (nothing run) if another
  /// thread is using the pool right now.
  bool tryRun(int64_t n, int64_t chunk, int64_t numChunks, const ChunkFn &fn) {
    std::unique_lock<std::mutex> submit(submitMutex_, std::try_to_lock);
    if (!submit.owns_lock())
      return false;
    Job job{&fn, n, chunk, numChunks, 0};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job.id = ++jobId_;
      current_ = job;
      done_.store(0);
      cursor_.store(static_cast<uint64_t>(job.id) << 32);
    }
    wake_.notify_all();
    insideParallelFor = true;
    runChunks(job);
    insideParallelFor = false;
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [&] { return done_.load() == numChunks; });
    return true;
  }

private:
  struct Job {
    const ChunkFn *fn;
    int64_t n, chunk, numChunks;
    uint32_t id;
  };

  void workerLoop() {
    insideParallelFor = true;
    uint32_t seen = 0;
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || jobId_ != seen; });
        if (stop_)
          return;
        seen = jobId_;
        job = current_;
      }
      runChunks(job);
    }
  }

  /// Claims chunks of `job` until none are left. The job id lives in the
  /// cursor's high half, so a worker that woke late for a finished job can
  /// never claim (and run the stale function on) a chunk of the next one.
  void runChunks(const Job &job) {
    for (;;) {
      uint64_t cur = cursor_.load();
      int64_t index = static_cast<int64_t>(cur & 0xffffffffu);
      if ((cur >> 32) != job.id || index >= job.numChunks)
        return;
      if (!cursor_.compare_exchange_weak(cur, cur + 1))
        continue;
      int64_t begin = index * job.chunk;
      (*job.fn)(begin, std::min(job.n, begin + job.chunk));
      if (done_.fetch_add(1) + 1 == job.numChunks) {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_.notify_all();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submitMutex_; // one job at a time
  std::mutex mutex_;       // guards current_, jobId_, stop_
  std::condition_variable wake_, finished_;
  Job current_{nullptr, 0, 0, 0, 0};
  uint32_t jobId_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> cursor_{0}; // (job id << 32) | next chunk index
  std::atomic<int64_t> done_{0};    // chunks of the current job finished
};

} // namespace

int numThreads() { return ThreadPool::instance().size(); }

void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn, int64_t minChunk) {
  if (n <= 0)
    return;
  minChunk = std::max<int64_t>(1, minChunk);
  if (insideParallelFor || n <= minChunk) {
    fn(0, n);
    return;
  }
  ThreadPool &pool = ThreadPool::instance();
  if (pool.size() == 1) {
    fn(0, n);
    return;
  }
  // A few chunks per thread so a thread slowed by a busy core is caught up by
  // the others; results never depend on the split.
  int64_t numChunks = std::min<int64_t>((n + minChunk - 1) / minChunk, int64_t{4} * pool.size());
  int64_t chunk = (n + numChunks - 1) / numChunks;
  numChunks = (n + chunk - 1) / chunk;
  if (!pool.tryRun(n, chunk, numChunks, fn))
    fn(0, n);
}

} // namespace ssmc::interp
