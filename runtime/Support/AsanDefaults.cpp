//===- AsanDefaults.cpp - AddressSanitizer options built into a binary ----===//
//
// Linked into every binary of a -DSSMC_SANITIZE=address build. LLVM's
// headers poison the unused part of a BumpPtrAllocator slab when the code
// including them is built with AddressSanitizer, while the prebuilt LLVM and
// MLIR libraries (not instrumented) hand out that memory without unpoisoning
// it: MLIR's first dialect registration then reads "poisoned" memory that
// is in fact allocated. Manual poisoning is ignored for that reason; the
// compiler's own instrumentation (redzones, freed memory) is unaffected.
// ASAN_OPTIONS still overrides it.
//
//===----------------------------------------------------------------------===//

// NOLINTNEXTLINE(readability-identifier-naming): the name is ASan's hook.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }
