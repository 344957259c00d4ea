# SPDX-License-Identifier: LGPL-2.1-or-later
"""The kernel's own hibernation and kjump's in the same guest."""
import time

from ..registry import scenario
from .common import hibernate_boot, restore_boot


@scenario("bench", "the kernel's own hibernation and kjump's, side by side in one guest: prints figures", ci=[])
def bench(rig):
    """The kernel's own hibernation (to a swap partition) and kjump's, one
    after the other in the same guest with the same workload; prints both.
    Figures, not assertions: TCG timings vary with the machine's load."""
    rig.with_disks()
    rig.swap = rig.out / "swap.img"
    with open(rig.swap, "wb") as f:
        f.truncate((rig.args.mem + 64) << 20)

    con = rig.boot("swsusp-hibernate")
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    con.wait_exit(900)
    t_off = time.monotonic()
    con = rig.boot("expect-resume", "kjump.swsusp-resume")
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 900, "the kernel's resume from swap")
    _, m = con.wait_for(r"KJUMP-EVENT swsusp-image pages=(\d+)", 300, "the kernel's image size")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the workload to verify")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(120)
    swsusp = {"request_to_off_s": t_off - t_req, "power_on_to_running_s": t_res - con.start,
              "image_mib": int(m.group(1)) * 4096 / 2**20}

    location = hibernate_boot(rig)
    restore_boot(rig, location)
    kjump = {"request_to_off_s": rig.timings["request_to_off_s"],
             "power_on_to_running_s": rig.timings["power_on_to_running_s"],
             "image_mib": float(rig.facts["image_written"]["disk_mib"])}
    rig.facts["bench"] = {"swsusp": swsusp, "kjump": kjump}
    print(f"benchmark: {rig.args.mem} MiB guest, workload {rig.args.workload}, TCG (figures, not a verdict)")
    print(f"  {'':26} {'swsusp':>10} {'kjump':>10}")
    for key, label in (("request_to_off_s", "request -> power off (s)"),
                       ("power_on_to_running_s", "power on -> running (s)"),
                       ("image_mib", "image (MiB, see below)")):
        print(f"  {label:26} {swsusp[key]:10.1f} {kjump[key]:10.1f}")
    print("  image: swsusp's pages copied, before its LZO compression; kjump's bytes on disk, after LZ4")
