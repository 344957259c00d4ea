# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VMDIR = REPO / "tests" / "vm"
CACHE = Path(os.environ.get("KJUMP_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kjump")
BUILDDIR = Path(os.environ.get("KJUMP_BUILDDIR") or REPO / "build")
QEMU = os.environ.get("KJUMP_QEMU", "qemu-system-x86_64")
# One host thread runs every vCPU in turn. Multi-threaded TCG let one vCPU
# run a stale translation of kernel text that another vCPU had just
# patched: guest kernels died now and then with "Oops: int3" in
# sched_clock_cpu, the int3 that text_poke_bp() plants while it flips a
# static key, executed by the other vCPU after the patch was complete
# (field notes, section 9). x86 asks only for a serializing instruction
# after cross-modifying code, which the kernel executes; multi-threaded TCG
# can still finish a translation block it began on another host thread.
# With one thread there is no other thread. The guests keep two vCPUs:
# SMP paths (the helper's worker threads, a second CPU parked across the
# jump) run, only not in parallel on the host.
ACCEL = os.environ.get("KJUMP_ACCEL", "tcg,thread=single")
# Under TCG every step is slow and its speed depends on the machine's load:
# deadlines are generous, and KJUMP_TIMEOUT_SCALE stretches them further.
TIMEOUT_SCALE = float(os.environ.get("KJUMP_TIMEOUT_SCALE", "1"))
# The helper's window (common/helper-params.h KJUMP_WINDOW_SIZE_DEFAULT):
# the helper must report no more RAM than this.
WINDOW_MIB = 64


class ScenarioFailed(Exception):
    pass


class ScenarioSkipped(Exception):
    """Something the scenario needs is missing on this machine (exit 77)."""


def log(msg):
    print(f"kjump-vm: {msg}", file=sys.stderr, flush=True)
