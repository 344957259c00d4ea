# SPDX-License-Identifier: LGPL-2.1-or-later
"""Steps shared by scenarios: a jump there and back, a hibernation, a
restore, a boot that must not restore, checks of the image on the host."""
import json
import subprocess
import time

from ..config import WINDOW_MIB, ScenarioFailed
from ..console import fields, mark
from ..screen import expect_progress_on_screen


def helper_up(con, rig, mode, timeout=300):
    """Waits for the helper's /init; checks it runs in MODE and is confined
    to its window. Returns (time, its fields)."""
    t, m = con.wait_for(mark("helper-up"), timeout, "the helper's /init")
    f = fields(m)
    kib = int(f["ram_kib"])
    rig.facts["helper_ram_kib"] = kib
    rig.facts["helper_cpus"] = int(f["cpus"])
    if kib <= 0 or kib > WINDOW_MIB * 1024:
        raise ScenarioFailed(f"helper is not confined to its {WINDOW_MIB} MiB window: it has {kib} KiB")
    if f["mode"] != mode:
        raise ScenarioFailed(f"the helper runs in mode {f['mode']}, not {mode}")
    return t, f


def jump_and_back(rig, scenario, mode, helper_steps=(), cmdline="", free_restore="leave"):
    """One boot (with CMDLINE added to A's): the guest jumps into the helper
    in MODE, the helper passes HELPER_STEPS (marks, in order) and jumps back,
    the workload verifies. A free-pages step must say FREE_RESTORE."""
    con = rig.boot(scenario, cmdline, screen=any(s[0] == "screens" for s in helper_steps))
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 600, "the guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    t_jump, _ = con.wait_for(mark("jump"), 300, "the jump")
    t_up, f = helper_up(con, rig, mode)
    # The helper reports how long its kernel took to boot; its kernel's own
    # lines are below the console's log level.
    t_helper = max(t_jump, t_up - float(f["boot_s"]))
    for name, timeout, what in helper_steps:
        if name == "screens":
            expect_progress_on_screen(rig, con, timeout, what)
            continue
        t, m = con.wait_for(mark(name), timeout, what)
        if name == "free-pages":
            expect_free_pages_skipped(rig, m, free_restore)
        if name == "image-written":
            rig.timings["image_written_s"] = t - t_up
            rig.facts["image_written"] = fields(m)
    t_back, _ = con.wait_for(mark("jump-back"), 1200, "the helper to jump back")
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 300, "the guest to run again")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the workload to verify")
    con.wait_for(r"KJUMP-RESULT PASS", 600)
    con.wait_exit(120)
    rig.timings.update({
        "request_to_jump_s": t_helper - t_req,
        "helper_boot_s": t_up - t_helper,
        "in_helper_s": t_back - t_helper,
        "until_running_again_s": t_res - t_back,
    })


WRITTEN = ("image-written", 1800, "the image to be written")
# Screenshots while the image is written, and while it is restored.
SCREENS_WRITE = ("screens", "writing", ["saving percent=10", "saving percent=90"])
SCREENS_RESTORE = ("screens", "restoring", ["restoring percent=10", "restoring percent=90"])
FREE_PAGES = ("free-pages", 600, "the helper to look for A's free pages")


def expect_free_pages_skipped(rig, m, restore="leave"):
    """The helper found A's free pages and leaves them out: in these guests
    (VMCOREINFO, no page poisoning) anything else is a failure. A restore
    leaves them alone, or zeroes them (RESTORE) when A relies on zeroed free
    pages (init_on_free)."""
    f = fields(m)
    rig.facts["free_pages"] = f
    if f.get("skipped") != "yes":
        raise ScenarioFailed(f"the helper saved A's free pages ({f.get('reason', '?')}): "
                             "it must find them in this guest")
    if f.get("restore") != restore:
        raise ScenarioFailed(f"a restore would {'zero' if f.get('restore') == 'zero' else 'leave'} A's free pages "
                             f"(free-pages restore={f.get('restore')}): it must {restore} them in this guest")
VERIFIED = ("verified", 1200, "the image to verify")


def extract_image(rig):
    """Copies the image the guest left on its disk to a host file."""
    dest = rig.out / "image.copy"
    if rig.args.target == "partition":
        with open(rig.raw, "rb") as src, open(dest, "wb") as dst:
            src.seek(rig.part_offset)
            left = rig.part_size
            while left > 0:
                block = src.read(min(left, 16 << 20))
                if not block:
                    break
                dst.write(block)
                left -= len(block)
    else:
        subprocess.run(["debugfs", "-R", f"dump /kjump/image {dest}", str(rig.ext4)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return dest


def inspect(rig, path, *extra):
    return subprocess.run([str(rig.parts["kjumpctl"]), "inspect", *extra, str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def check_inspect_on_host(rig):
    """kjumpctl inspect --verify accepts the image the helper wrote and
    rejects copies with a byte flipped in the header, the index or the data."""
    copy = extract_image(rig)
    res = inspect(rig, copy, "--verify", "--json")
    if res.returncode != 0:
        raise ScenarioFailed(f"inspect --verify rejected the helper's image: {res.stdout.strip()}")
    info = json.loads(res.stdout.splitlines()[-1])
    rig.facts["image"] = {k: info[k] for k in ("state", "reason", "ram_bytes", "pages_stored",
                                               "data_bytes", "chunk_count", "write_usec")}
    places = {"header": 100, "index": info["index_offset"] + 7,
              "data": 4096 + info["data_bytes"] // 2}
    for name, offset in places.items():
        with open(copy, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0x40]))
        res = inspect(rig, copy, "--verify")
        if res.returncode == 0:
            raise ScenarioFailed(f"inspect --verify accepted an image with a flipped byte in its {name}")
        with open(copy, "r+b") as f:
            f.seek(offset)
            f.write(b)
    copy.unlink()


def hibernate_boot(rig, cut=None, scenario="hibernate", extra=""):
    """First boot: the guest hibernates for real; the helper writes the
    image and powers off. CUT names the mark at which QEMU is killed instead
    (a power cut): "saving" (mid-data) and so on. Returns the kjump.resume=
    location the guest printed."""
    con = rig.boot(scenario, extra, screen=cut is None)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 600, "the guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 600, "the resume location")
    location = m.group(1)
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    rig.t_clock_before, m = con.wait_for(r"KJUMP-EVENT clock before=(\d+)", 60)
    rig.facts["clock_before"] = int(m.group(1))
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    rig.mark(t_boot, "guest running, workload starting")
    rig.mark(t_req, "hibernation requested (kjumpctl suspend --direct)")
    t_jump, _ = con.wait_for(mark("jump"), 300, "the jump")
    if cut == "jump":
        # The first header (state writing) is on the disk: cut now.
        con.kill()
        rig.facts["power_cut_at"] = cut
        rig.mark(time.monotonic(), "power cut right after the jump")
        return location
    t_up, f = helper_up(con, rig, "hibernate")
    rig.mark(t_up, "helper up")
    t_free, m = con.wait_for(mark("free-pages"), 600, "the helper to look for A's free pages")
    expect_free_pages_skipped(rig, m)
    rig.mark(t_free, "free pages found: " + " ".join(f"{k}={v}" for k, v in fields(m).items()))
    if cut is None:
        expect_progress_on_screen(rig, con, "hibernating", SCREENS_WRITE[2])
    rig.timings["request_to_jump_s"] = max(t_jump, t_up - float(f["boot_s"])) - t_req
    if cut:
        con.wait_for(mark(cut), 1800, f"the helper to reach {cut}")
        con.kill()
        rig.facts["power_cut_at"] = cut
        rig.mark(time.monotonic(), f"power cut at {cut}")
        return location
    t_written, m = con.wait_for(mark("image-written"), 1800, "the image to be written")
    rig.facts["image_written"] = fields(m)
    rig.mark(t_written, "image written: " + " ".join(f"{k}={v}" for k, v in fields(m).items()))
    con.wait_for(mark("committed"), 120, "the commit")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "power off (QEMU exited)")
    rig.timings["request_to_off_s"] = time.monotonic() - t_req
    rig.timings["image_written_s"] = t_written - t_up
    return location


def restore_boot(rig, location):
    """Second boot: kjump-resume finds the image and hands over; A runs
    again in the middle of the first boot's script, which checks it all."""
    con = rig.boot("expect-resume", f"kjump.resume={location}", screen=True)
    t_verified, m = con.wait_for(mark("resume-verified"), 1800, "kjump-resume to verify the image")
    rig.mark(t_verified, f"initrd: image verified ({fields(m).get('ram_mib')} MiB of RAM)")
    rig.timings["power_on_to_image_verified_s"] = t_verified - con.start
    con.wait_for(mark("resume-handover"), 300, "the handover to the helper")
    t_up, _ = helper_up(con, rig, "restore")
    rig.mark(t_up, "restore started (helper up)")
    expect_progress_on_screen(rig, con, "restoring", SCREENS_RESTORE[2])
    t_restored, _ = con.wait_for(mark("restored"), 1800, "the restore")
    rig.mark(t_restored, "RAM restored, entering the original kernel")
    t_after, m = con.wait_for(r"KJUMP-EVENT clock after=(\d+)", 600, "the original kernel to run again")
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 60)
    rig.mark(t_res, "original kernel running again")
    rig.timings["power_on_to_running_s"] = t_res - con.start
    rig.timings["restore_s"] = t_restored - t_verified
    # The guest's wall clock must have moved on by the time that really
    # passed between its two readings, power-off and cold boot included.
    elapsed = t_after - rig.t_clock_before
    moved = int(m.group(1)) - rig.facts["clock_before"]
    rig.facts["guest_clock_moved_s"] = moved
    rig.facts["host_elapsed_s"] = round(elapsed, 1)
    if abs(moved - elapsed) > 3:
        raise ScenarioFailed(f"the guest's clock moved {moved} s while {elapsed:.0f} s passed")
    t_ok, _ = con.wait_for(r"KJUMP-EVENT verified", 900, "the checks after the restore")
    rig.mark(t_ok, "workload, dirty file, disk, network and clock verified")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(120)


def fresh_boot(rig, location, expect, extra="", scenario="expect-fresh"):
    """A boot that must not restore: it goes on normally and finds the
    image in state EXPECT (STATE[:REASON], REASON with _ for spaces)."""
    con = rig.boot(scenario, f"kjump.resume={location} kjump.expect={expect} {extra}".strip())
    con.wait_for(r"KJUMP-EVENT resume-check-done", 1800, "kjump-resume to decide")
    con.wait_for(r"KJUMP-EVENT verified", 600, "the image state check")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(120)
    if con.lines_matching(mark("helper-up")):
        raise ScenarioFailed("the helper was started although the image must not be restored")
    return con


def cut_then_fresh(rig, at, extra=""):
    """A power cut when the helper reaches the mark AT; the next boot is
    fresh and finds the image invalid."""
    rig.with_disks()
    location = hibernate_boot(rig, cut=at, extra=extra)
    fresh_boot(rig, location, "invalid:helper_error")


def restore_refused_by_helper(rig, location):
    """A boot whose restore the helper must refuse part way: kjump-resume
    hands over (it reads the header, the map and the index only), the
    helper finds a chunk it cannot read or check, invalidates the image and
    reboots before A is ever entered."""
    con = rig.boot("expect-resume", f"kjump.resume={location}")
    con.wait_for(mark("resume-handover"), 1800, "the handover to the helper")
    helper_up(con, rig, "restore")
    con.wait_for(r"KJUMP-MARK helper-failed reason=corrupt", 1800, "the helper to refuse the image")
    con.wait_exit(300)
    if con.lines_matching(r"KJUMP-EVENT (resumed|clock after)"):
        raise ScenarioFailed("the original kernel was entered from an image that did not check out")
    if con.lines_matching(mark("restored")):
        raise ScenarioFailed("the helper said it restored an image that did not check out")
