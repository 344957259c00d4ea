# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bench: the kernel's own hibernation (swsusp) and kjump's, one after
the other in the same Debian guest with the same workload, each as its
users run it: swsusp through the kernel's interface to a swap partition,
kjump through kjumpd with the helper preloaded (D-Bus Hibernate).

One round is the scenario `bench` (kjump-vm run bench); `kjump-vm bench`
runs N rounds per workload and reports median, min and max of each figure,
the ratio kjump/swsusp, as JSON, a table and a chart (gnuplot). Figures,
never assertions: TCG's speed moves with the machine's load. A round fails
only when a system did not restore the workload intact."""
import json
import shutil
import statistics
import subprocess
import time

from ..console import fields, mark
from ..registry import scenario
from .common import helper_up

MIB = 1 << 20


def written_bytes(qmp):
    """Bytes each disk was written since QEMU started: {device: bytes}."""
    return {d["device"] or d.get("qdev", "?"): d["stats"]["wr_bytes"] for d in qmp.command("query-blockstats")}


def delta_mib(after, before, device=None):
    keys = [device] if device else after.keys()
    return sum(after[k] - before.get(k, 0) for k in keys) / MIB


def meminfo(con, tag):
    _, m = con.wait_for(rf"KJUMP-EVENT meminfo-{tag} (?P<fields>.*)", 600, f"the guest's meminfo ({tag})")
    f = fields(m)
    return {k: int(v) for k, v in f.items() if k.endswith("_mib")}


def power_off(con):
    """Waits for the guest to power off (QEMU stops at it); returns its
    time and the disks' write counters then, and ends QEMU."""
    t_off = con.wait_qmp_event("SHUTDOWN", 1800, "the power off")
    written = written_bytes(con.qmp)
    con.qmp.command("quit")
    con.wait_exit(120)
    return t_off, written


def hibernated(con):
    """Up to the request: the workload set up, RAM described; returns the
    request's time, the write counters then and the meminfo before."""
    con.wait_for(r"KJUMP-EVENT workload-ready", 1800, "the workload setup")
    before = meminfo(con, "before")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    return t_req, written_bytes(con.qmp), before


def swsusp_round(rig):
    con = rig.boot_debian("bench-swsusp", stop_at_power_off=True)
    con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    t_req, w_req, before = hibernated(con)
    rig.mark(t_req, "swsusp: hibernation requested (echo disk > /sys/power/state)")
    t_off, w_off = power_off(con)
    rig.mark(t_off, "swsusp: power off")
    con = rig.boot_debian("expect-resume", "resume=/dev/vdb")
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 1800, "the kernel's resume from swap")
    rig.mark(t_res, "swsusp: running again")
    after = meminfo(con, "after")
    _, m = con.wait_for(r"KJUMP-EVENT swsusp-image pages=(\d+)", 300, "the kernel's image size")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the workload to verify")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    return {
        "request_to_off_s": t_off - t_req,
        "power_on_to_running_s": t_res - con.start,
        # swsusp writes its LZO-compressed image, and nothing else, to the swap disk.
        "image_mib": delta_mib(w_off, w_req, "virtio1"),
        "image_before_compression_mib": int(m.group(1)) * 4096 / MIB,
        "disk_written_mib": delta_mib(w_off, w_req),
        "used_before_mib": before["used_mib"],
        "file_cache_before_mib": before["file_cache_mib"],
        "file_cache_after_mib": after["file_cache_mib"],
    }


def kjump_round(rig):
    # kjump-vm bench --park: kjumpd parks the helper (ParkHelper=yes);
    # --no-adaptive: AdaptiveCompression=no.
    words = (["kjump.park=1"] if getattr(rig.args, "park", False) else []) + \
        (["kjump.adaptive=0"] if getattr(rig.args, "no_adaptive", False) else [])
    con = rig.boot_debian("bench-kjump", " ".join(words), stop_at_power_off=True)
    con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 900, "the target to be set up")
    location = m.group(1)
    _, m = con.wait_for(r"KJUMP-EVENT helper-pinned bytes=(\d+)", 60, "the RAM kjumpd pins")
    pinned = int(m.group(1)) / MIB
    t_req, w_req, before = hibernated(con)
    rig.mark(t_req, "kjump: hibernation requested (kjumpd's Hibernate)")
    t_up, f = helper_up(con, rig, "hibernate", 600)
    t_helper = t_up - float(f["boot_s"])
    rig.mark(t_helper, "kjump: the helper's kernel starts")
    t_w, m = con.wait_for(mark("image-written"), 1800, "the image to be written")
    written = fields(m)
    rig.mark(t_w, "kjump: image written: " + " ".join(f"{k}={v}" for k, v in written.items()))
    t_off, w_off = power_off(con)
    rig.mark(t_off, "kjump: power off")
    con = rig.boot_debian("expect-resume", f"kjump.resume={location}")
    t_v, _ = con.wait_for(mark("resume-verified"), 1800, "the initramfs to check the image")
    t_up2, f2 = helper_up(con, rig, "restore", 600)
    _, m = con.wait_for(mark("read-back"), 1800, "the restore")
    read_back = fields(m)
    t_r, m = con.wait_for(mark("restored"), 1800, "the restore")
    restored = fields(m)
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 600, "the original system to run again")
    rig.mark(t_res, "kjump: running again")
    after = meminfo(con, "after")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the workload to verify")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    return {
        "request_to_off_s": t_off - t_req,
        "request_to_jump_s": t_helper - t_req,
        "helper_boot_s": float(f["boot_s"]),
        "helper_cpus": int(f["cpus"]),
        "ram_read_mib": int(written["ram_mib"]),
        "write_s": float(written["seconds"]),
        "write_to_off_s": t_off - t_w,
        # The adaptive policy: the share of the chunks with data it stored without compressing them.
        **({"write_raw_chunks_pct": 100.0 * int(written["raw_chunks"]) / max(int(written["chunks"]), 1)}
           if "raw_chunks" in written else {}),
        # Where the write's time went: the workers' sums over threads, the writing thread's.
        **{f"write_{k}": float(written[k]) for k in ("scan_s", "encode_s", "wait_s", "output_s") if k in written},
        "power_on_to_running_s": t_res - con.start,
        "power_on_to_handover_s": t_v - con.start,
        # kjump-resume loading the helper, the boot kernel's shutdown, the
        # purgatory and the helper's kernel up to its clock's start.
        "restore_handover_s": (t_up2 - float(f2["boot_s"])) - t_v,
        "restore_helper_boot_s": float(f2["boot_s"]),
        # The jump back into A, its CPUs, devices and tasks, kjumpd's
        # settle and post hooks, its answer.
        "restore_return_s": t_res - t_r,
        "restore_s": float(restored["seconds"]),
        **{f"restore_{k}": float(read_back[k]) for k in ("read_s", "decode_s", "place_s", "empty_s")
           if k in read_back},
        "image_mib": int(written["disk_mib"]),
        "disk_written_mib": delta_mib(w_off, w_req),
        "used_before_mib": before["used_mib"],
        "file_cache_before_mib": before["file_cache_mib"],
        "file_cache_after_mib": after["file_cache_mib"],
        "helper_pinned_mib": pinned,
    }


@scenario("bench", "the kernel's own hibernation and kjump's (kjumpd, helper preloaded), side by side in one "
          "Debian guest: prints figures (kjump-vm bench: several rounds, JSON, table, chart)", ci=[])
def bench(rig):
    """One round: swsusp, then kjump, in the same guest (one disk, the swap
    partition on a second one), the same workload."""
    rig.with_debian(extra_disk_mib=rig.args.mem + 64)
    swsusp = swsusp_round(rig)
    kjump = kjump_round(rig)
    rig.facts["bench"] = {"swsusp": swsusp, "kjump": kjump}
    print(table([{"swsusp": swsusp, "kjump": kjump}], rig.args.mem, rig.args.workload))


# What the table and the JSON carry, in order: key, label, the systems that have it.
FIGURES = [
    ("request_to_off_s", "request -> power off (s)", "both"),
    ("request_to_jump_s", "  request -> helper's kernel starts (s)", "kjump"),
    ("helper_boot_s", "  helper's boot (s)", "kjump"),
    ("write_s", "  image written (s)", "kjump"),
    ("write_scan_s", "    reading RAM, the workers' sum (s)", "kjump"),
    ("write_encode_s", "    checksum, compression, sealing, the workers' sum (s)", "kjump"),
    ("write_wait_s", "    the writing thread waiting for the workers (s)", "kjump"),
    ("write_output_s", "    the writing thread writing (s)", "kjump"),
    ("write_raw_chunks_pct", "    chunks stored uncompressed by the adaptive policy (%)", "kjump"),
    ("write_to_off_s", "  commit -> power off (s)", "kjump"),
    ("power_on_to_running_s", "power on -> running (s)", "both"),
    ("power_on_to_handover_s", "  power on -> image checked (s)", "kjump"),
    ("restore_handover_s", "  image checked -> helper's kernel starts (s)", "kjump"),
    ("restore_helper_boot_s", "  helper's boot at restore (s)", "kjump"),
    ("restore_s", "  RAM restored (s)", "kjump"),
    ("restore_read_s", "    reading the image, the workers' sum (s)", "kjump"),
    ("restore_decode_s", "    decryption, decompression, checksum, the workers' sum (s)", "kjump"),
    ("restore_place_s", "    writing into RAM, the workers' sum (s)", "kjump"),
    ("restore_empty_s", "    zeroing chunks without data, the workers' sum (s)", "kjump"),
    ("restore_return_s", "  restored -> running: jump back, devices, kjumpd's answer (s)", "kjump"),
    ("ram_read_mib", "RAM read by the helper (MiB)", "kjump"),
    ("image_before_compression_mib", "image before compression (MiB)", "swsusp"),
    ("image_mib", "image on disk, compressed (MiB)", "both"),
    ("disk_written_mib", "written to disks, request -> off (MiB)", "both"),
    ("used_before_mib", "RAM in use before (MiB)", "both"),
    ("file_cache_before_mib", "page cache before (MiB)", "both"),
    ("file_cache_after_mib", "page cache after (MiB)", "both"),
    ("helper_pinned_mib", "RAM pinned by the preloaded helper (MiB)", "kjump"),
    ("helper_cpus", "helper's CPUs", "kjump"),
]


def stats(rounds, system, key):
    vals = [r[system][key] for r in rounds if key in r.get(system, {})]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "runs": vals}


def summarize(rounds):
    """{key: {"kjump": stats, "swsusp": stats, "ratio": kjump/swsusp of the medians}}."""
    out = {}
    for key, _, _ in FIGURES:
        k, s = stats(rounds, "kjump", key), stats(rounds, "swsusp", key)
        out[key] = {"kjump": k, "swsusp": s,
                    "ratio": k["median"] / s["median"] if k and s and s["median"] else None}
    return out


def table(rounds, mem, workload):
    """A markdown table: median (min - max) of each figure, and the ratio."""
    def cell(st):
        if st is None:
            return ""
        if len(st["runs"]) == 1:
            return f"{st['median']:.1f}"
        return f"{st['median']:.1f} ({st['min']:.1f} - {st['max']:.1f})"
    lines = [f"{mem} MiB guest, workload `{workload}`, {len(rounds)} round(s); median (min - max)", "",
             "| | kjump | swsusp | kjump/swsusp |", "|---|---|---|---|"]
    for key, label, _ in FIGURES:
        f = summarize(rounds)[key]
        if f["kjump"] is None and f["swsusp"] is None:
            continue
        ratio = f"{f['ratio']:.2f}x" if f["ratio"] is not None else ""
        lines.append(f"| {label.strip()} | {cell(f['kjump'])} | {cell(f['swsusp'])} | {ratio} |")
    return "\n".join(lines)


# The chart's phases: (column title, system, phase, how it is computed from a round's medians).
PHASES = [
    ("freeze and jump", "kjump", "hibernate", lambda k: k["request_to_jump_s"]),
    ("helper boot", "kjump", "hibernate", lambda k: k["helper_boot_s"]),
    ("image write", "kjump", "hibernate", lambda k: k["write_s"]),
    ("commit, power off", "kjump", "hibernate",
     lambda k: k["request_to_off_s"] - k["request_to_jump_s"] - k["helper_boot_s"] - k["write_s"]),
    ("kernel, initramfs, check", "kjump", "resume", lambda k: k["power_on_to_handover_s"]),
    ("helper load, handover", "kjump", "resume", lambda k: k.get("restore_handover_s", 0.0)),
    ("helper boot (restore)", "kjump", "resume", lambda k: k["restore_helper_boot_s"]),
    ("RAM restored", "kjump", "resume", lambda k: k["restore_s"]),
    ("back to running", "kjump", "resume",
     lambda k: k["power_on_to_running_s"] - k["power_on_to_handover_s"] - k.get("restore_handover_s", 0.0)
     - k["restore_helper_boot_s"] - k["restore_s"]),
    ("swsusp hibernate", "swsusp", "hibernate", lambda s: s["request_to_off_s"]),
    ("swsusp resume", "swsusp", "resume", lambda s: s["power_on_to_running_s"]),
]


def chart(summary, title, path):
    """An SVG (and a PNG beside it) of both systems' phases side by side
    (medians), drawn with gnuplot; returns PATH, or None without gnuplot."""
    if not shutil.which("gnuplot"):
        return None
    med = {sys_: {k: v[sys_]["median"] for k, v in summary.items() if v[sys_]} for sys_ in ("kjump", "swsusp")}
    rows = [("kjump hibernate", "kjump", "hibernate"), ("swsusp hibernate", "swsusp", "hibernate"),
            ("kjump resume", "kjump", "resume"), ("swsusp resume", "swsusp", "resume")]
    dat = path.with_suffix(".dat")
    with open(dat, "w") as f:
        f.write("row " + " ".join(f'"{p[0]}"' for p in PHASES) + "\n")
        for label, system, phase in rows:
            vals = [max(0.0, fn(med[system])) if (s == system and ph == phase) else 0.0
                    for _, s, ph, fn in PHASES]
            f.write(f'"{label}" ' + " ".join(f"{v:.3f}" for v in vals) + "\n")
    # kjump's phases in colours, the kernel's own in greys.
    colors = " ".join(["#6a3d9a", "#1f78b4", "#a6cee3", "#fdbf6f", "#b2df8a", "#fb9a99", "#33a02c", "#e31a1c", "#ff7f00",
                       "#777777", "#bbbbbb"][:len(PHASES)])
    for terminal, out in (('svg size 960,460 dynamic font "sans,12"', path),
                          ('pngcairo size 960,460 font "sans,10"', path.with_suffix(".png"))):
        script = f"""set terminal {terminal}
set output "{out}"
set title "{title}"
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.6
set ylabel "seconds (median)"
set key outside right top
set grid ytics
colors = "{colors}"
plot for [i=2:{len(PHASES) + 1}] "{dat}" using i:xtic(1) title columnheader(i) lc rgb word(colors, i - 1)
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return path


def report(rounds, mem, workload, out, machine=""):
    """Writes bench.json, bench.md and bench.svg into OUT; returns the table."""
    summary = summarize(rounds)
    doc = {"mem_mib": mem, "workload": workload, "rounds": rounds, "summary": summary, "machine": machine,
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (out / "bench.json").write_text(json.dumps(doc, indent=2) + "\n")
    text = table(rounds, mem, workload)
    (out / "bench.md").write_text(text + "\n")
    chart(summary, f"kjump and swsusp, {mem} MiB guest, workload {workload} (TCG)", out / "bench.svg")
    return text

