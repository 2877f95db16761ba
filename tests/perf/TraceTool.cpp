// Prototype: trace kernels of an artifact.
#include "PlanTrace.h"
#include <fmt/format.h>
#include <chrono>
using namespace ssmc;
int main(int argc, char **argv) {
  auto plan = rt::loadArtifact(argv[1]);
  if (!plan) { fmt::print(stderr, "{}\n", plan.message()); return 1; }
  auto mem = perf::PlanMemory::allocate(*plan);
  if (!mem) { fmt::print(stderr, "{}\n", mem.message()); return 1; }
  for (const rt::PlanKernel &k : plan->kernels) {
    if (argc > 2 && k.name != argv[2]) continue;
    perf::SampleOptions o;
    o.waveBlocks = std::stoull(argc > 3 ? argv[3] : "264");
    if (argc > 4) o.warmupRecords = std::stod(argv[4]);
    if (argc > 5) o.windowRecords = std::stod(argv[5]);
    if (argc > 6) o.fullRecords = std::stod(argv[6]);
    auto t0 = std::chrono::steady_clock::now();
    auto t = perf::tracePlanKernel(k, **mem, o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!t) { fmt::print(stderr, "{}\n", t.message()); return 1; }
    auto &g = t->globalLoad;
    fmt::print("{}: {:.1f}s blocks {} run {} measured {} records {:.3g} sampled {} trunc {} | ld req {:.3g} sect/req {:.2f} coal {:.2f} | st req {:.3g} sect/req {:.2f} | sh ld req {:.3g} wf/ideal {:.2f} | dram R {:.3g} W {:.3g} distinct {:.3g} mma {:.3g}\n",
      k.name, s, t->blocks, t->blocksRun, t->blocksMeasured, double(t->recordsRun), t->sampled, t->warmupTruncated, g.requests, g.sectors/g.requests, g.bytesUsed/(32*g.sectors),
      t->globalStore.requests, t->globalStore.sectors/std::max(1.0,t->globalStore.requests),
      t->sharedLoad.requests, t->sharedLoad.wavefronts/std::max(1.0,t->sharedLoad.idealWavefronts),
      t->dramReadBytes, t->dramWriteBytes, t->distinctBytes, t->mmaFlops);
  }
}
