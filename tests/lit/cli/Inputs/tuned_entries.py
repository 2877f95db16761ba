"""Writes tuning-database lines (ssmc tune --import) for the scan kernel of
an artifact: a modeled sm_90 / 132-SM entry choosing its configuration #1,
and a faster one whose configuration the kernel does not have.

  tuned_entries.py SUMMARY.json PLAN.json OUT.jsonl
"""
import json
import sys

summary, plan, out = sys.argv[1:]
signatures = {k["name"]: k["signature"] for k in json.load(open(summary))["kernels"]}
kernel = next(k for k in json.load(open(plan))["kernels"] if k["kind"] == "scan")
base = {"gpu": "NVIDIA H100 SXM5 80 GB", "arch": "sm_90", "sms": 132, "driver": 0, "nvrtc": 0,
        "kernel": kernel["name"], "signature": signatures[kernel["name"]], "default_us": 10.0,
        "measured": False}
with open(out, "w") as f:
    f.write(json.dumps(dict(base, config=kernel["configs"][1]["tunables"], time_us=5.0)) + "\n")
    gone = dict(kernel["configs"][0]["tunables"], SCAN_CHANNELS=999)
    f.write(json.dumps(dict(base, config=gone, time_us=1.0)) + "\n")
