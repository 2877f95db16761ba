//===- Support/SourceCommit.h - The commit ssmc was built from -*- C++ -*-===//
//
// Generated at every build by cmake/SourceCommit.cmake: git's HEAD of the
// source tree (12 hex digits, "-dirty" with uncommitted changes), else the
// SSMC_SOURCE_COMMIT CMake variable (a tree unpacked from `git archive`, as
// on the GPU machine), else "unknown". Benchmarks name it.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_SOURCECOMMIT_H
#define SSMC_RUNTIME_SUPPORT_SOURCECOMMIT_H

namespace ssmc::rt {

const char *sourceCommit();

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_SOURCECOMMIT_H
