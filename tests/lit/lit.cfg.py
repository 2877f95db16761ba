# lit configuration for ssmc: FileCheck tests of ops, passes and the CLI.
import os
import sys

import lit.formats

config.name = "ssmc"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = getattr(config, "ssmc_obj_root", config.test_source_root)

# Our tools first, then LLVM's FileCheck/not/count: never another FileCheck on PATH.
path = [getattr(config, "ssmc_tools_dir", ""), getattr(config, "llvm_tools_dir", "/usr/lib/llvm-19/bin")]
config.environment["PATH"] = os.pathsep.join(p for p in path if p) + os.pathsep + os.environ.get("PATH", "")
# Hermetic: no user's tuning database changes what `ssmc compile` chooses
# (tests that use one name it).
config.environment["SSMC_TUNING_DB"] = os.path.join(config.test_exec_root, "no-tuning-database.db")
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%plugins", getattr(config, "plugin_dir", "")))

# The tests' stand-in for libcuda.so.1 (tests/runtime/FakeCuda.cpp).
fake_cuda = getattr(config, "fake_cuda_lib", "")
if fake_cuda and os.path.exists(fake_cuda):
    config.available_features.add("fake-cuda")
    config.substitutions.append(("%fakecuda", fake_cuda))
if getattr(config, "have_nvrtc", "") in ("1", "ON", "TRUE"):
    config.available_features.add("nvrtc")

golden = os.environ.get("SSMC_GOLDEN_DIR") or getattr(config, "golden_dir", "")
if golden and os.path.isdir(golden):
    config.available_features.add("golden")
    config.substitutions.append(("%golden", golden))

# A CUDA driver that loads (a GPU machine): tests of the no-GPU messages are
# unsupported there.
try:
    import ctypes
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
