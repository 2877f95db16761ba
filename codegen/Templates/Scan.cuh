// ---- ssmc selective-scan template (codegen/Templates/Scan.cuh, embedded at build time) ----
//
// A thread owns one (batch, channel) of every scan of the group, or with
// SSMC_SCAN_SPLITS > 1 one part of its sequence; its d_state-wide state h
// lives in registers. A block holds SSMC_SCAN_CHANNELS channels (x
// SSMC_SCAN_SPLITS parts) of one batch element and walks the sequence in
// chunks of SSMC_SCAN_CHUNK steps, staging each part's chunk of B and C
// (shared by all its channels) and, where the group computes delta with a
// small linear (dt_proj), that linear's inputs in shared memory as fp32.
// Where they are columns of one group input [batch, length, P]
// (kMaxRowBytes > 0), its rows are first copied as stored by cp.async into
// one of two buffers, the next chunk's copy in flight while the current
// chunk is unpacked and scanned; else the values are read and staged one
// chunk at a time. The buffers serve the scans in turn.
//
// Time split (small batches): pass 1 scans each part from a zero state for
// its end state and summed delta, the block combines them in order into each
// part's starting state (the decay of a part is exp(A * sum(delta))), and
// pass 2 scans each part again from it, writing outputs. Without a split,
// pass 2 is the only one.
//
// The generated code supplies, before this template: kBatch, kChannels,
// kLength (the scans' [batch, channels, length]), kStatePitch and kDtPitch
// (floats a staged step of B, C and of dt_proj's inputs takes), kMaxRowBytes
// (the widest copied row; 0: values are staged), kSequenceTiles (0 where
// channels-last; else the tiles of u, delta, z a chunk takes, read along
// time, the outputs written back through u's); after it, a struct per
// scan, with (all static, reading through the Group's index functions; b,
// d, t the batch, channel and time of the scan's output):
//   kStates, kDtIn (0: delta is read, not computed), kReverse, kStatesFastest
//   (B and C in [batch, length, d_state], else [batch, d_state, length]),
//   kSkip, kGate, kDeltaBias, kDtBias, kSoftplus, kPhase
//   A(g, d, n), B(g, b, t, n), C(g, b, t, n), u(g, b, d, t), delta(g, b, d, t)
//   dtIn(g, b, t, r), dtWeight(g, d, r), dtBias(g, d), deltaBias(g, d),
//   skip(g, d), z(g, b, d, t)
//   step(g, b, d, t, y)   the epilogue at one output (y after skip and gate)
//   lastState(g, b, d, n, h) where the scan's last_state is a result
//   with rows: Row (their element type), kRowBytes, kOffB, kOffC, kOffX (the
//   columns where B, C and dt_proj's inputs start), kUnpack (values
//   unpacked at a time: 4 where every piece of 4 is aligned, else 1) and
//   row(g, b, t)
// and the kernel calls run<Scan>(g, smem, thread()) for each in order.

namespace ssmc_scan {

constexpr int kSplits = SSMC_SCAN_SPLITS, kThreads = SSMC_SCAN_CHANNELS * kSplits;
constexpr idx_t kChannelBlocks = (kChannels + SSMC_SCAN_CHANNELS - 1) / SSMC_SCAN_CHANNELS;
constexpr idx_t kPartSteps = (kLength + kSplits - 1) / kSplits; // steps of one part
// Floats of one part's staged chunk (scanPartFloats): with splits, padded to
// 4 past a multiple of 32, so the parts' 16-byte loads take different banks.
constexpr int partFloats(int stepFloats) {
  return kSplits == 1 || stepFloats == 0 ? stepFloats * SSMC_SCAN_CHUNK
                                         : (stepFloats * SSMC_SCAN_CHUNK + 31) / 32 * 32 + 4;
}
constexpr int kPartB = partFloats(kStatePitch), kPartX = partFloats(kDtPitch);
// A (channel, part)'s carried state, then its summed delta: an odd pitch, so
// the threads' rows fall in different banks.
constexpr int kCarryPitch = kStatePitch + 1;
constexpr float kLog2e = 1.44269504088896341f;
// Copied rows (scanRowBufferBytes): a buffer holds the 16-byte chunks that
// cover one part's chunk of rows; each part has two.
constexpr bool kRows = kMaxRowBytes > 0;
constexpr int kRowBuffer = (SSMC_SCAN_CHUNK * kMaxRowBytes + 30) / 16 * 16;
constexpr int kValueBytes = 4 * kSplits * (2 * kPartB + kPartX);
constexpr int kStagedBytes = kValueBytes + (kRows ? kSplits * 2 * kRowBuffer : 0);
// Sequence tiles (scanTilePitch, scanSequenceTiles): per part, per operand,
// a row of a chunk per channel, of an odd number of floats so that a warp's
// channels read their rows at one step without bank conflicts.
constexpr bool kTiles = kSequenceTiles > 0;
constexpr int kTilePitch = SSMC_SCAN_CHUNK | 1, kTileFloats = SSMC_SCAN_CHANNELS * kTilePitch;

// Four staged floats of one step by one 16-byte shared-memory load; every
// lane reads the same address (a broadcast: 2 wavefronts, one a half warp).
struct alignas(16) Step4 {
  float v[4];
};
__device__ __forceinline__ Step4 loadStep4(const float *p) {
#ifdef SSMC_HOST_SHIM
  Step4 r;
  memcpy(&r, p, sizeof r);
  return r;
#else
  return *reinterpret_cast<const Step4 *>(p);
#endif
}

// Shared memory, per part, per step of the chunk: B, C [SSMC_SCAN_CHUNK]
// [kStatePitch] each, dt_proj's inputs [SSMC_SCAN_CHUNK][kDtPitch]; with
// rows, per part, two buffers of kRowBuffer bytes; with sequence tiles, per
// part, kSequenceTiles of [SSMC_SCAN_CHANNELS][kTilePitch]; with splits, each
// (channel, part)'s carried state and summed delta [SSMC_SCAN_CHANNELS *
// kSplits][kCarryPitch].
struct Staging {
  float *B, *C, *X, *carry;
  unsigned char *rows;
  float *tiles;
};

// Which tile holds what of scan S: u (then its outputs) first, delta where
// it is read, then z.
template <class S> struct TileOf {
  static constexpr int kU = 0, kDelta = 1, kZ = S::kDtIn > 0 ? 1 : 2;
};
// Channel `lane`'s row of tile `k` of part `q`.
__device__ __forceinline__ float *tileRow(const Staging &sm, int q, int k, int lane) {
  return sm.tiles + ((q * kSequenceTiles + k) * SSMC_SCAN_CHANNELS + lane) * kTilePitch;
}

// The calling thread's place: its channel in the block, its part of the
// sequence (steps [p0, p0 + partLen) in scan order), its batch element and
// channel.
struct Thread {
  int lane, part;
  idx_t b, d, p0, partLen;
  bool active; // d < kChannels: inactive threads stage and wait, never step
};

__device__ __forceinline__ Thread thread() {
  Thread th;
  th.lane = kSplits == 1 ? (int)threadIdx.x : (int)threadIdx.x % SSMC_SCAN_CHANNELS;
  th.part = kSplits == 1 ? 0 : (int)threadIdx.x / SSMC_SCAN_CHANNELS;
  th.b = (idx_t)blockIdx.x / kChannelBlocks;
  th.d = ((idx_t)blockIdx.x % kChannelBlocks) * SSMC_SCAN_CHANNELS + th.lane;
  th.active = th.d < kChannels;
  th.p0 = th.part * kPartSteps;
  th.partLen =
      kLength - th.p0 < kPartSteps ? (kLength - th.p0 > 0 ? kLength - th.p0 : 0) : kPartSteps;
  return th;
}

// Time of step `i` of scan S (0 first).
template <class S> __device__ __forceinline__ idx_t timeOf(idx_t i) {
  return S::kReverse ? kLength - 1 - i : i;
}

// Every part's chunk [c0, c0 + SSMC_SCAN_CHUNK) of B (and C, in pass 2) and
// of dt_proj's inputs, the whole block sharing the work.
template <class S, bool kOutputs, class G>
__device__ __forceinline__ void stage(G &g, const Staging &sm, idx_t b, idx_t c0) {
  constexpr int kStates = S::kStates;
  if constexpr (!S::kStatesFastest && kStates % 4 == 0) {
    // B, C [batch, d_state, length]: consecutive threads read consecutive
    // steps of 4 states each and store them as one 16-byte piece of their
    // step (a quarter of the bank conflicts of 4 scalar stores a step apart).
    for (idx_t j = threadIdx.x; j < kSplits * SSMC_SCAN_CHUNK * (kStates / 4); j += kThreads) {
      const idx_t q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHUNK * (kStates / 4)),
                  i = j - q * SSMC_SCAN_CHUNK * (kStates / 4);
      const idx_t n0 = i / SSMC_SCAN_CHUNK * 4, s = i % SSMC_SCAN_CHUNK;
      if (q * kPartSteps + c0 + s >= kLength || c0 + s >= kPartSteps)
        continue;
      const idx_t t = timeOf<S>(q * kPartSteps + c0 + s);
      Step4 v;
#pragma unroll
      for (int e = 0; e < 4; ++e)
        v.v[e] = S::B(g, b, t, n0 + e);
      *reinterpret_cast<Step4 *>(sm.B + q * kPartB + s * kStatePitch + n0) = v;
      if constexpr (kOutputs) {
#pragma unroll
        for (int e = 0; e < 4; ++e)
          v.v[e] = S::C(g, b, t, n0 + e);
        *reinterpret_cast<Step4 *>(sm.C + q * kPartB + s * kStatePitch + n0) = v;
      }
    }
  } else {
    for (idx_t j = threadIdx.x; j < kSplits * SSMC_SCAN_CHUNK * kStates; j += kThreads) {
      const idx_t q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHUNK * kStates),
                  i = j - q * SSMC_SCAN_CHUNK * kStates;
      // Consecutive threads walk the contiguous axis of B and C.
      const idx_t s = S::kStatesFastest ? i / kStates : i % SSMC_SCAN_CHUNK;
      const idx_t n = S::kStatesFastest ? i - s * kStates : i / SSMC_SCAN_CHUNK;
      if (q * kPartSteps + c0 + s >= kLength || c0 + s >= kPartSteps)
        continue;
      const idx_t t = timeOf<S>(q * kPartSteps + c0 + s);
      sm.B[q * kPartB + s * kStatePitch + n] = S::B(g, b, t, n);
      if constexpr (kOutputs)
        sm.C[q * kPartB + s * kStatePitch + n] = S::C(g, b, t, n);
    }
  }
  if constexpr (S::kDtIn > 0) {
    constexpr int kDtIn = S::kDtIn;
    for (idx_t j = threadIdx.x; j < kSplits * SSMC_SCAN_CHUNK * kDtIn; j += kThreads) {
      const idx_t q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHUNK * kDtIn),
                  i = j - q * SSMC_SCAN_CHUNK * kDtIn;
      const idx_t s = i / kDtIn, r = i - s * kDtIn;
      if (q * kPartSteps + c0 + s >= kLength || c0 + s >= kPartSteps)
        continue;
      const idx_t t = timeOf<S>(q * kPartSteps + c0 + s);
      sm.X[q * kPartX + s * kDtPitch + r] = S::dtIn(g, b, t, r);
    }
  }
}

// Steps in part `q`'s chunk from step c0 (0 past its end).
__device__ __forceinline__ idx_t chunkSteps(idx_t q, idx_t c0) {
  const idx_t part = kLength - q * kPartSteps < kPartSteps ? kLength - q * kPartSteps : kPartSteps;
  const idx_t left = part - c0;
  return left <= 0 ? 0 : left < SSMC_SCAN_CHUNK ? left : SSMC_SCAN_CHUNK;
}

// f(q, lane, s, d) for every step s of part q's chunk from step c0 and every
// channel d (its `lane` in the block) the block has: consecutive threads
// take consecutive steps of one channel, so a warp goes along time.
template <class F> __device__ __forceinline__ void forTileSteps(const Thread &th, idx_t c0, F &&f) {
  const idx_t d0 = th.d - th.lane;
  for (int j = threadIdx.x; j < kSplits * SSMC_SCAN_CHANNELS * SSMC_SCAN_CHUNK; j += kThreads) {
    const int q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHANNELS * SSMC_SCAN_CHUNK);
    const int i = j - q * SSMC_SCAN_CHANNELS * SSMC_SCAN_CHUNK;
    const int lane = i / SSMC_SCAN_CHUNK, s = i - lane * SSMC_SCAN_CHUNK;
    if (d0 + lane < kChannels && s < chunkSteps(q, c0))
      f(q, lane, s, d0 + lane);
  }
}

// Sequence tiles: every part's chunk from step c0 of u, delta (where read)
// and, in pass 2, z, for each of the block's channels; consecutive threads
// take consecutive steps of one channel, so a warp reads along time.
template <class S, bool kOutputs, class G>
__device__ __forceinline__ void stageTiles(G &g, const Staging &sm, const Thread &th, idx_t c0) {
  const idx_t d0 = th.d - th.lane;
  constexpr int V = S::kVecT;
  if constexpr (V > 0 && SSMC_SCAN_CHUNK % V == 0 && kPartSteps % V == 0) {
    // 16 bytes a load (forward scans whose u, delta and z allow it): every
    // chunk starts and ends on whole pieces of V steps (kLength, a part and
    // a chunk are multiples of V).
    static_assert(!S::kReverse, "the emitter reads a reverse scan's tiles a value at a time");
    constexpr int kPieces = SSMC_SCAN_CHUNK / V;
    for (int j = threadIdx.x; j < kSplits * SSMC_SCAN_CHANNELS * kPieces; j += kThreads) {
      const int q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHANNELS * kPieces);
      const int i = j - q * SSMC_SCAN_CHANNELS * kPieces;
      const int lane = i / kPieces, s0 = (i - lane * kPieces) * V;
      if (d0 + lane >= kChannels || s0 >= chunkSteps(q, c0))
        continue;
      const idx_t d = d0 + lane, t0 = q * kPartSteps + c0 + s0;
      float v[V];
      const auto put = [&](int k) {
        float *row = tileRow(sm, q, k, lane) + s0;
#pragma unroll
        for (int e = 0; e < V; ++e)
          row[e] = v[e];
      };
      S::uVec(g, th.b, d, t0, v);
      put(TileOf<S>::kU);
      if constexpr (S::kDtIn == 0) {
        S::deltaVec(g, th.b, d, t0, v);
        put(TileOf<S>::kDelta);
      }
      if constexpr (kOutputs && S::kGate) {
        S::zVec(g, th.b, d, t0, v);
        put(TileOf<S>::kZ);
      }
    }
    return;
  }
  forTileSteps(th, c0, [&](int q, int lane, int s, idx_t d) {
    const idx_t t = timeOf<S>(q * kPartSteps + c0 + s);
    tileRow(sm, q, TileOf<S>::kU, lane)[s] = S::u(g, th.b, d, t);
    if constexpr (S::kDtIn == 0)
      tileRow(sm, q, TileOf<S>::kDelta, lane)[s] = S::delta(g, th.b, d, t);
    if constexpr (kOutputs && S::kGate)
      tileRow(sm, q, TileOf<S>::kZ, lane)[s] = S::z(g, th.b, d, t);
  });
}

// Sequence tiles: the chunk's outputs, left in u's tile by the steps, through
// the epilogue along time as stageTiles read them.
template <class S, class G>
__device__ __forceinline__ void storeTiles(G &g, const Staging &sm, const Thread &th, idx_t c0) {
  forTileSteps(th, c0, [&](int q, int lane, int s, idx_t d) {
    S::step(g, th.b, d, timeOf<S>(q * kPartSteps + c0 + s),
            tileRow(sm, q, TileOf<S>::kU, lane)[s]);
  });
}

// The first row (lowest time) of a chunk of `len` steps from step i0.
template <class S> __device__ __forceinline__ idx_t firstRow(idx_t i0, idx_t len) {
  return S::kReverse ? timeOf<S>(i0 + len - 1) : timeOf<S>(i0);
}

// Rows: every part's chunk from step c0 is one range of whole rows, copied
// into `slot` by the 16-byte chunks that cover it (a staged row keeps its
// address mod 16); a chunk past the range's end reads only its bytes. The
// group input starts 256-byte aligned, so no chunk starts before it.
template <class S, class G>
__device__ __forceinline__ void stageRows(G &g, const Staging &sm, int slot, idx_t b, idx_t c0) {
  constexpr int kChunks = kRowBuffer / 16;
  for (int j = threadIdx.x; j < kSplits * kChunks; j += kThreads) {
    const int q = kSplits == 1 ? 0 : j / kChunks, e = j - q * kChunks;
    const idx_t len = chunkSteps(q, c0);
    if (len == 0)
      continue;
    const unsigned long long first =
        (unsigned long long)S::row(g, b, firstRow<S>(q * kPartSteps + c0, len));
    const unsigned long long end = first + (unsigned long long)len * S::kRowBytes;
    const unsigned long long chunk = (first & ~15ull) + 16ull * (unsigned)e;
    if (chunk < end)
      ssmc_async::copy16(sm.rows + (2 * q + slot) * kRowBuffer + 16 * e, (const void *)chunk,
                         end - chunk < 16 ? (int)(end - chunk) : 16);
  }
  ssmc_async::commit();
}

// kVec (1 or 4) consecutive values of a copied row at `src`, aligned to
// kVec of them, to fp32 at `dst` (16-byte aligned where kVec is 4).
template <class Row, int kVec> __device__ __forceinline__ void unpack(float *dst, const Row *src) {
  if constexpr (kVec == 1) {
    *dst = ld(*src);
  } else {
    struct alignas(4 * sizeof(Row)) Piece {
      Row v[4];
    };
    const Piece p = *reinterpret_cast<const Piece *>(src);
    Step4 f;
#pragma unroll
    for (int i = 0; i < 4; ++i)
      f.v[i] = ld(p.v[i]);
    *reinterpret_cast<Step4 *>(dst) = f;
  }
}

// Rows: every part's chunk from step c0, from its copied rows in `slot` to
// the fp32 values the steps read, as stage() does from global memory (each
// value converted once, for all the block's channels), S::kUnpack values at
// a time.
template <class S, bool kOutputs, class G>
__device__ __forceinline__ void unpackRows(G &g, const Staging &sm, int slot, idx_t b, idx_t c0) {
  typedef typename S::Row Row;
  constexpr int kStates = S::kStates, kDtIn = S::kDtIn, kVec = S::kUnpack;
  constexpr int kCols = (kOutputs ? 2 * kStates : kStates) + kDtIn; // B, C?, dt_proj's inputs
  constexpr int kPieces = kCols / kVec;
  for (idx_t j = threadIdx.x; j < kSplits * SSMC_SCAN_CHUNK * kPieces; j += kThreads) {
    const idx_t q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHUNK * kPieces),
                i = j - q * SSMC_SCAN_CHUNK * kPieces;
    const idx_t s = i / kPieces, col = (i - s * kPieces) * kVec;
    const idx_t len = chunkSteps(q, c0);
    if (s >= len)
      continue;
    // The step's row in the buffer: rows run by time, from the chunk's first.
    const unsigned long long first =
        (unsigned long long)S::row(g, b, firstRow<S>(q * kPartSteps + c0, len));
    const Row *row =
        reinterpret_cast<const Row *>(sm.rows + (2 * q + slot) * kRowBuffer + (first & 15) +
                                      (S::kReverse ? len - 1 - s : s) * S::kRowBytes);
    if (col < kStates)
      unpack<Row, kVec>(sm.B + q * kPartB + s * kStatePitch + col, row + S::kOffB + col);
    else if (kOutputs && col < 2 * kStates)
      unpack<Row, kVec>(sm.C + q * kPartB + s * kStatePitch + col - kStates,
                        row + S::kOffC + col - kStates);
    else
      unpack<Row, kVec>(sm.X + q * kPartX + s * kDtPitch + col - (kCols - kDtIn),
                        row + S::kOffX + col - (kCols - kDtIn));
  }
}

// What a scan keeps in registers for the whole sequence.
template <class S> struct Registers {
  float h[S::kStates];  // the state
  float A2[S::kStates]; // A * log2(e): exp(delta * A) is one exp2f
  float wdt[S::kDtIn > 0 ? S::kDtIn : 1], dtBias, deltaBias, skip;
};

// Time split with one chunk a part (no rows, no sequence tiles): pass 1
// stages C as well and pass 2 steps through what it staged, so B, C and
// dt_proj's inputs are read from global memory once, not twice.
constexpr bool kStageOnce = kSplits > 1 && kPartSteps <= SSMC_SCAN_CHUNK && !kRows && !kTiles;

// One pass over the thread's part, chunk by chunk: stage (the whole block),
// then step. Pass 2 (`kOutputs`) sums y = C . h and runs the epilogue; pass
// 1 only advances h and sums delta. Rows are copied a chunk ahead: the copy
// of chunk k + 1 is issued before chunk k is waited for; its buffer was
// last read by chunk k - 1's unpacking, before the barrier that ended it.
template <class S, bool kOutputs, class G>
__device__ __forceinline__ void pass(G &g, const Staging &sm, const Thread &th, Registers<S> &r,
                                     float &dtSum) {
  constexpr int kStates = S::kStates;
  const float *const myB = sm.B + th.part * kPartB, *const myC = sm.C + th.part * kPartB;
  const float *const myX = sm.X + th.part * kPartX;
  if constexpr (kRows)
    stageRows<S>(g, sm, 0, th.b, 0);
  int slot = 0;
  for (idx_t c0 = 0; c0 < kPartSteps; c0 += SSMC_SCAN_CHUNK, slot ^= 1) {
    if constexpr (kRows) {
      if (c0 + SSMC_SCAN_CHUNK < kPartSteps) {
        stageRows<S>(g, sm, slot ^ 1, th.b, c0 + SSMC_SCAN_CHUNK);
        ssmc_async::wait<1>();
      } else {
        ssmc_async::wait<0>();
      }
      __syncthreads(); // every thread's copies of this chunk have landed
      unpackRows<S, kOutputs>(g, sm, slot, th.b, c0);
      __syncthreads();
    } else if (!(kStageOnce && kOutputs)) {
      __syncthreads(); // the previous chunk's staged values are consumed (and stored)
      stage<S, kOutputs || kStageOnce>(g, sm, th.b, c0);
      if constexpr (kTiles)
        stageTiles<S, kOutputs>(g, sm, th, c0);
      __syncthreads();
    }
    [[maybe_unused]] float *const myU =
        kTiles ? tileRow(sm, th.part, TileOf<S>::kU, th.lane) : nullptr;
    [[maybe_unused]] const float *const myDelta =
        kTiles ? tileRow(sm, th.part, TileOf<S>::kDelta, th.lane) : nullptr;
    [[maybe_unused]] const float *const myZ =
        kTiles ? tileRow(sm, th.part, TileOf<S>::kZ, th.lane) : nullptr;
    const idx_t len = th.partLen - c0 < SSMC_SCAN_CHUNK ? th.partLen - c0 : SSMC_SCAN_CHUNK;
    for (idx_t s = 0; th.active && s < len; ++s) {
      const idx_t t = timeOf<S>(th.p0 + c0 + s);
      float dt;
      if constexpr (S::kDtIn > 0) {
        // dt_proj's order: the sum over its inputs, then its bias.
        dt = 0.0f;
#pragma unroll
        for (int r0 = 0; r0 < S::kDtIn; r0 += 4) {
          const Step4 x4 = loadStep4(myX + s * kDtPitch + r0);
#pragma unroll
          for (int i = 0; i < 4; ++i)
            if (r0 + i < S::kDtIn)
              dt += x4.v[i] * r.wdt[r0 + i];
        }
        if constexpr (S::kDtBias)
          dt += r.dtBias;
      } else {
        dt = kTiles ? myDelta[s] : S::delta(g, th.b, th.d, t);
      }
      if constexpr (S::kDeltaBias)
        dt += r.deltaBias;
      if constexpr (S::kSoftplus)
        dt = dt <= 20.0f ? log1pf(expf(dt)) : dt;
      const float u = kTiles ? myU[s] : S::u(g, th.b, th.d, t);
      [[maybe_unused]] float y = 0.0f; // pass 2: C . h
      if constexpr (!kOutputs)
        dtSum += dt;
#pragma unroll
      for (int n0 = 0; n0 < kStates; n0 += 4) {
        const Step4 b4 = loadStep4(myB + s * kStatePitch + n0);
        [[maybe_unused]] Step4 c4;
        if constexpr (kOutputs)
          c4 = loadStep4(myC + s * kStatePitch + n0);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int n = n0 + i;
          if (n >= kStates)
            break;
          r.h[n] = exp2f(dt * r.A2[n]) * r.h[n] + dt * b4.v[i] * u;
          if constexpr (kOutputs)
            y += r.h[n] * c4.v[i];
        }
      }
      if constexpr (kOutputs) {
        if constexpr (S::kSkip)
          y += r.skip * u;
        if constexpr (S::kGate) {
          const float z = kTiles ? myZ[s] : S::z(g, th.b, th.d, t);
          y *= z / (1.0f + expf(-z));
        }
        if constexpr (kTiles)
          myU[s] = y; // stored along time with the block's other channels
        else
          S::step(g, th.b, th.d, t, y);
      }
    }
    if constexpr (kTiles && kOutputs) {
      __syncthreads(); // every channel's outputs of the chunk are in place
      storeTiles<S>(g, sm, th, c0);
    }
  }
}

// Pass 1's end states combined in order into each part's starting state:
// h <- exp(A * sum(delta)) * h + end state; thread `part` takes states part,
// part + kSplits, ...
template <class S>
__device__ __forceinline__ void combineParts(const Staging &sm, const Thread &th, Registers<S> &r,
                                             float dtSum) {
  constexpr int kStates = S::kStates;
  float *const carry = sm.carry + (th.lane * kSplits + th.part) * kCarryPitch;
#pragma unroll
  for (int n = 0; n < kStates; ++n)
    carry[n] = r.h[n];
  carry[kStatePitch] = dtSum;
  __syncthreads();
#pragma unroll
  for (int n = 0; n < kStates; ++n) {
    if (n % kSplits != th.part)
      continue;
    float hin = 0.0f;
    for (int q = 0; q < kSplits; ++q) {
      float *const c = sm.carry + (th.lane * kSplits + q) * kCarryPitch;
      const float end = c[n];
      c[n] = hin;
      hin = exp2f(r.A2[n] * c[kStatePitch]) * hin + end;
    }
  }
  __syncthreads();
#pragma unroll
  for (int n = 0; n < kStates; ++n)
    r.h[n] = carry[n];
}

// The last state [batch, channels, d_state] of the block's channels, through
// the staging area a few channels at a time, so that consecutive threads
// store consecutive values (each thread's own row of d_state values would
// leave a warp's stores d_state values apart). Every thread takes part.
template <class S, class G>
__device__ __forceinline__ void storeLastState(G &g, float *smem, const Thread &th,
                                               const Registers<S> &r) {
  constexpr int kStates = S::kStates, kPitch = kStates | 1; // odd: no bank conflicts
  constexpr int kFit = kStagedBytes / 4 / kPitch;
  constexpr int kRound = kFit < SSMC_SCAN_CHANNELS ? kFit : SSMC_SCAN_CHANNELS;
  static_assert(kRound >= 1, "the staging area holds B and C: two steps of d_state or more");
  const idx_t d0 = th.d - th.lane;
  for (int c0 = 0; c0 < SSMC_SCAN_CHANNELS; c0 += kRound) {
    __syncthreads(); // the area's last reads (the steps', the previous round's) are done
    if (th.active && th.part == kSplits - 1 && th.lane >= c0 && th.lane < c0 + kRound)
#pragma unroll
      for (int n = 0; n < kStates; ++n)
        smem[(th.lane - c0) * kPitch + n] = r.h[n];
    __syncthreads();
    for (int j = threadIdx.x; j < kRound * kStates; j += kThreads) {
      const int c = c0 + j / kStates, n = j % kStates;
      if (c < SSMC_SCAN_CHANNELS && d0 + c < kChannels)
        S::lastState(g, th.b, d0 + c, n, smem[(c - c0) * kPitch + n]);
    }
  }
  __syncthreads(); // before the next scan stages into the area
}

// One scan of the group, every thread of the block taking part.
template <class S, class G>
__device__ __forceinline__ void run(G &g, float *smem, const Thread &th) {
  float *const tiles = smem + kStagedBytes / 4;
  const Staging sm{smem,
                   smem + kSplits * kPartB,
                   smem + 2 * kSplits * kPartB,
                   tiles + kSplits * kSequenceTiles * kTileFloats,
                   reinterpret_cast<unsigned char *>(smem) + kValueBytes,
                   tiles};
  g.phase = S::kPhase;
  Registers<S> r;
  // Loop-invariant per channel: A, D, the biases and dt_proj's weights.
#pragma unroll
  for (int n = 0; n < S::kStates; ++n) {
    r.h[n] = 0.0f;
    r.A2[n] = th.active ? S::A(g, th.d, n) * kLog2e : 0.0f;
  }
  if constexpr (S::kSkip)
    r.skip = th.active ? S::skip(g, th.d) : 0.0f;
  if constexpr (S::kDeltaBias)
    r.deltaBias = th.active ? S::deltaBias(g, th.d) : 0.0f;
  if constexpr (S::kDtIn > 0) {
#pragma unroll
    for (int k = 0; k < S::kDtIn; ++k)
      r.wdt[k] = th.active ? S::dtWeight(g, th.d, k) : 0.0f;
    if constexpr (S::kDtBias)
      r.dtBias = th.active ? S::dtBias(g, th.d) : 0.0f;
  }
  float dtSum = 0.0f;
  if constexpr (kSplits > 1) {
    pass<S, false>(g, sm, th, r, dtSum);
    combineParts<S>(sm, th, r, dtSum);
  }
  pass<S, true>(g, sm, th, r, dtSum);
  if constexpr (S::kLastState)
    storeLastState<S>(g, smem, th, r);
}

} // namespace ssmc_scan
