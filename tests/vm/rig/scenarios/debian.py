# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian 12 guest: systemd, logind, polkit, kjumpd, initramfs-tools."""
import errno
import hashlib
import os
import re
import subprocess
import time

from ..config import ScenarioFailed
from ..registry import scenario
from ..console import fields, mark
from ..debian import kernel_release
from ..package import build_deb
from .common import helper_up


def debian_boot(rig, scenario_name, s3=False, qmp=False, initrd_tool="initramfs-tools"):
    """Boots the Debian guest for SCENARIO_NAME; returns its console and the
    target's location (kjump.resume=) once the runner set the target up."""
    rig.with_debian(initrd_tool)
    con = rig.boot_debian(scenario_name, s3=s3, qmp=qmp)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    rig.mark(t_boot, "Debian guest up (systemd, kjumpd)")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 900, "the target to be set up")
    return con, m.group(1)


def debian_image(rig, con, then):
    """The helper's part of a hibernation: up, the image written and
    committed, then THEN (poweroff, reboot, suspend)."""
    helper_up(con, rig, "hibernate", 600)
    t_w, m = con.wait_for(mark("image-written"), 1800, "the image to be written")
    rig.mark(t_w, "image written: " + " ".join(f"{k}={v}" for k, v in fields(m).items()))
    _, m = con.wait_for(mark("committed"), 120, "the commit")
    if fields(m).get("then") != then:
        raise ScenarioFailed(f"the helper committed the image and went on to {fields(m).get('then')}, not {then}")


def debian_restore(rig, location, name, s3=False, unlock=None):
    """A cold boot with the image's location (None: the one the initramfs
    recorded): the initramfs hands over, the helper restores, the original
    system runs again. UNLOCK(console): what a user does at the
    initramfs's passphrase prompt. Returns the console."""
    con = rig.boot_debian("expect-resume", f"kjump.resume={location}" if location else "", s3=s3)
    if unlock:
        unlock(con)
    t_v, _ = con.wait_for(mark("resume-verified"), 1800, "the initramfs to verify the image")
    rig.mark(t_v, "initramfs: image verified, handing over")
    t_r, _ = con.wait_for(mark("restored"), 1800, "the restore")
    rig.mark(t_r, "RAM restored")
    # The boot kernel hands over with nothing left touching the disk: an
    # I/O error here was udev probing the disk as kexec shut it down.
    errors = con.lines_matching(r"I/O error, dev ")
    if errors:
        raise ScenarioFailed(f"{len(errors)} I/O error(s) on the console before the restore: {errors[0].strip()}")
    t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 600, "the original system to run again")
    rig.mark(t_res, "original system running again")
    rig.timings[f"power_on_to_running_{name}_s"] = t_res - con.start
    return con


def hibernate_to_power_off(rig, con):
    """The guest's runner asks for a hibernation (systemctl hibernate): the
    helper writes the image and powers the machine off."""
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 900, "the workload setup")
    rig.mark(t_req, "systemctl hibernate")
    debian_image(rig, con, "poweroff")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "power off")


def debian_verified(rig, con, what="workload, dirty file, hooks in the journal, image consumed"):
    t_ok, _ = con.wait_for(r"KJUMP-EVENT verified", 900, "the checks after the return")
    rig.mark(t_ok, what + ": verified")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)


def debian_cycles(rig, scenario_name, cycles, before=(), then="poweroff", initrd_tool="initramfs-tools"):
    """The Debian guest hibernates CYCLES times the way SCENARIO_NAME asks;
    after each power-off QEMU starts again on the same disk and the
    initramfs restores the image; the guest's runner checks the rest."""
    con, location = debian_boot(rig, scenario_name, initrd_tool=initrd_tool)
    for pattern in before:
        con.wait_for(pattern, 300)
    for cycle in range(1, cycles + 1):
        con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
        t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
        rig.mark(t_req, f"hibernation {cycle} requested")
        # A scenario that moves the target says where it is now (as the
        # user would run update-initramfs): the last location counts.
        said = con.lines_matching(r"KJUMP-EVENT resume-location kjump\.resume=\S+")
        if said:
            location = re.search(r"kjump\.resume=(\S+)", said[-1]).group(1)
        debian_image(rig, con, then)
        if then == "reboot":
            # The kernel says so; with -no-reboot QEMU then exits, and the
            # rig starts the machine again as its firmware would.
            con.wait_for(r"reboot: Restarting system", 120, "the helper to reboot")
        con.wait_exit(300)
        rig.mark(time.monotonic(), "reboot" if then == "reboot" else "power off")
        con = debian_restore(rig, location, cycle)
    debian_verified(rig, con)


@scenario("systemd-hibernate", "Debian guest: systemctl hibernate, power off, restore from the initramfs")
def systemd_hibernate(rig):
    debian_cycles(rig, "systemd-hibernate", 1)


@scenario("dbus-hibernate", "Debian guest: logind's Hibernate, then kjumpd's own, each restored")
def dbus_hibernate(rig):
    debian_cycles(rig, "dbus-hibernate", 2)


@scenario("cli-hibernate", "Debian guest: kjumpctl suspend refused to a user, then as root")
def cli_hibernate(rig):
    debian_cycles(rig, "cli-hibernate", 1, before=[r"KJUMP-EVENT refused-ok"])


def parked_test(rig, con, mode, parked):
    """One Test through kjumpd: the helper came up (booted or parked, as
    PARKED says), wrote, verified, jumped back. Returns the seconds from
    the request to the helper's start on the image (its free-page walk,
    right before the first byte is written)."""
    t_req, _ = con.wait_for(rf"KJUMP-EVENT request-test mode={mode} parked={parked}", 1800, f"Test {mode} ({parked})")
    _, m = con.wait_for(mark("helper-up"), 600, "the helper's /init")
    f = fields(m)
    want = "no" if parked == "booted" else "yes"
    if f.get("mode") != mode or f.get("parked") != want:
        raise ScenarioFailed(f"Test {mode} ({parked}): the helper came up in mode {f.get('mode')}, "
                             f"parked={f.get('parked')}")
    if want == "yes" and parked != "parked-again":
        rig.facts.setdefault("parked_avail_kib", []).append(int(f["avail_kib"]))
    t_free, _ = con.wait_for(mark("free-pages"), 600, "the helper to start on the image")
    con.wait_for(rf"KJUMP-MARK test-passed mode={re.escape(mode)}$", 1800, f"Test {mode} to pass")
    t_done, _ = con.wait_for(rf"KJUMP-EVENT test-done mode={mode} parked={parked}", 600, f"Test {mode} to return")
    rig.mark(t_done, f"Test {mode} ({parked}): request to writing {t_free - t_req:.2f} s")
    return t_free - t_req


@scenario("parked-helper", "Debian guest, ParkHelper=yes: kjumpd boots the helper once and parks it; two Tests "
          "and a hibernation jump into it without a boot, the restore brings everything back, kjumpd parks a "
          "new helper and a Test uses it; request to writing timed with and without parking; kjumpd killed "
          "outright, its unit unloads the helper it left", ci=[{"mem": 1024}])
def parked_helper(rig):
    con, location = debian_boot(rig, "parked-helper")
    booted = parked_test(rig, con, "test", "booted")
    _, m = con.wait_for(r"KJUMP-MARK helper-booted (?P<fields>.*park=yes.*)$", 600, "the helper to boot for its park")
    rig.facts["park_boot_s"] = float(fields(m)["boot_s"])
    con.wait_for(r"KJUMP-MARK parked next=1$", 600, "the helper to park")
    _, m = con.wait_for(r"KJUMP-EVENT park seconds=([0-9.]+)", 600, "kjumpd to say how long the park took")
    rig.facts["park_roundtrip_s"] = float(m.group(1))
    parked = [parked_test(rig, con, "test", "parked"), parked_test(rig, con, "test-restore", "parked")]
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 900, "the workload setup")
    rig.mark(t_req, "systemctl hibernate")
    _, m = con.wait_for(mark("helper-up"), 600, "the parked helper for the hibernation")
    if fields(m).get("mode") != "hibernate" or fields(m).get("parked") != "yes":
        raise ScenarioFailed(f"the hibernation did not jump into the parked helper: {fields(m)}")
    if len(con.lines_matching(r"KJUMP-MARK helper-booted ")) != 1:
        raise ScenarioFailed("the helper booted more than once before the hibernation")
    # Each jump must leave the parked helper as much of its window as the
    # first had (its threads are sized from it): nothing may pile up.
    avail = rig.facts["parked_avail_kib"] + [int(fields(m)["avail_kib"])]
    rig.facts["parked_avail_kib"] = avail
    if min(avail[1:]) < avail[0] - 4096:
        raise ScenarioFailed(f"the parked helper loses memory from jump to jump: MemAvailable {avail} KiB")
    t_w, m = con.wait_for(mark("image-written"), 1800, "the image to be written")
    rig.mark(t_w, "image written: " + " ".join(f"{k}={v}" for k, v in fields(m).items()))
    con.wait_for(r"KJUMP-MARK committed then=poweroff$", 120, "the commit")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "power off")
    con = debian_restore(rig, location, 1)
    con.wait_for(r"KJUMP-MARK helper-booted .*park=yes", 600, "kjumpd to park a new helper after the restore")
    parked.append(parked_test(rig, con, "test", "parked-again"))
    rig.facts["request_to_writing_booted_s"] = round(booted, 2)
    rig.facts["request_to_writing_parked_s"] = [round(p, 2) for p in parked]
    t_k, _ = con.wait_for(r"KJUMP-EVENT killed-unloaded", 300, "the helper of the killed kjumpd to be unloaded")
    rig.mark(t_k, "kjumpd killed (SIGKILL): ExecStopPost unloaded its parked helper")
    debian_verified(rig, con, "workload after the restore, a Test in the new parked helper, no helper left "
                    "loaded by the killed kjumpd")


def debian_one_boot(rig, scenario_name, s3=False):
    """One Debian boot whose runner checks everything itself."""
    rig.with_debian()
    con = rig.boot_debian(scenario_name, s3=s3)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    con.wait_for(r"KJUMP-EVENT verified", 900, "the checks")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    return con


@scenario("package-install", "Debian guest: apt install ./kjump_*.deb (built and lintian-checked from the tree), "
          "setup-target, systemctl hibernate, the package's own initrd restores; apt purge leaves nothing")
def package_install(rig):
    deb = build_deb(rig.out)
    rig.facts["package"] = deb.name
    rig.with_debian(package=deb)
    con = rig.boot_debian("package-install", qmp=False)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    rig.mark(t_boot, "Debian guest up, kjump not installed")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 1800, "apt install and setup-target")
    rig.facts["resume_location"] = m.group(1)
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 900, "the workload setup")
    rig.mark(t_req, "installed, target set up; systemctl hibernate")
    debian_image(rig, con, "poweroff")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "power off")
    # The next boot uses the initrd the package made in the guest, which
    # must find the image by itself: no kjump.resume= on the command line.
    release = kernel_release(rig.kernels["guest"])
    rig.debian_initrd = rig.out / "guest-made-initrd.img"
    subprocess.run(["debugfs", "-R", f"dump -p /boot/initrd.img-{release} {rig.debian_initrd}", str(rig.debian_disk)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    con = debian_restore(rig, None, "package")
    debian_verified(rig, con, "workload verified; apt purge left no kjump file, and logind as before")


@scenario("lvm-hibernate", "Debian guest: the image file on a plain LVM volume (two segments): its extents carried "
          "through device-mapper to the disk; a snapshot origin refused; systemctl hibernate, restored")
def lvm_hibernate(rig):
    rig.with_debian(extra_packages=("lvm2",), extra_disk_mib=2 * rig.args.mem + 512)
    debian_cycles(rig, "lvm-hibernate", 1)


@scenario("can-hibernate", "Debian guest: CanHibernate says yes; kjumpctl check names a missing target")
def can_hibernate(rig):
    debian_one_boot(rig, "can-hibernate")


@scenario("inhibited", "Debian guest: a sleep inhibitor held; Hibernate through logind and kjumpd refused, "
          "then it works once released",
          expect="logind and kjumpd refuse (kjumpd names the inhibitor, to the user and to root); no hook runs; works once released")
def inhibited(rig):
    debian_cycles(rig, "inhibited", 1, before=[r"KJUMP-EVENT refused-ok"])


@scenario("stale-target", "Debian guest: the target re-created behind kjumpd's back, a file fills the old "
          "blocks; it survives the hibernation",
          expect="kjumpd finds the target moved; it refuses while the initrd looks at the old place, nothing "
                 "written; with the initrd updated it writes the new target; the filler file survives")
def stale_target(rig):
    debian_cycles(rig, "stale-target", 1)


@scenario("hibernate-under-load", "Debian guest: hibernate under CPU, memory and disk load with a writer "
          "running; every record written before is kept",
          expect="restored; every record written before the request is on disk")
def hibernate_under_load(rig):
    debian_cycles(rig, "hibernate-under-load", 1)


@scenario("restore-skipped", "Debian guest: a boot with a wrong resume location goes on and writes; "
          "the next boot with the right one must not restore",
          expect="kjump-clear.service invalidates the image at the skipping boot; the next boot does not restore")
def restore_skipped(rig):
    rig.with_debian()
    con = rig.boot_debian("restore-skipped")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 900, "the target to be set up")
    location = m.group(1)
    con.wait_for(mark("committed"), 1800, "the image to be committed")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "hibernated, power off")
    spec, offset = location.rsplit(":", 1)
    wrong = f"{spec}:{int(offset) + 4096}"
    con = rig.boot_debian("restore-skipped", f"kjump.resume={wrong} kjump.expect=skipped")
    con.wait_for(mark("resume-none"), 900, "kjump-resume to find no image at the wrong location")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the boot that skipped the restore")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    rig.mark(time.monotonic(), "a boot without the restore ran and wrote to the disk")
    con = rig.boot_debian("expect-fresh", f"kjump.resume={location} kjump.expect=invalid:invalidated")
    con.wait_for(mark("resume-none"), 900, "kjump-resume to leave the invalid image alone")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the image state check")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    if con.lines_matching(mark("helper-up")):
        raise ScenarioFailed("the helper was started for an image that must never be restored")


@scenario("can-sleep", "Debian guest without S3: logind offers nothing before the target exists, then "
          "hibernation and suspend-then-hibernate, never hybrid sleep; systemctl refuses it")
def can_sleep(rig):
    debian_one_boot(rig, "can-sleep")


@scenario("hibernate-reboot", "Debian guest: HibernateMode=reboot: the helper commits the image and reboots; "
          "the machine restores")
def hibernate_reboot(rig):
    debian_cycles(rig, "hibernate-reboot", 1, then="reboot")


def helper_suspended(rig, con):
    """Hybrid sleep: the helper commits the image and the machine enters
    ACPI S3 (QEMU's SUSPEND event)."""
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    rig.mark(t_req, "hybrid sleep requested")
    debian_image(rig, con, "suspend")
    t_s = con.wait_qmp_event("SUSPEND", 300, "the helper to suspend to RAM")
    rig.mark(t_s, "suspended to RAM by the helper (ACPI S3)")


@scenario("hybrid-sleep", "Debian guest: systemctl hybrid-sleep writes the image, the helper suspends to RAM; "
          "woken, the session goes on and the image is invalid",
          expect="image committed, then S3; woken by the user, the helper invalidates it and jumps back; "
                 "workload intact, no restore")
def hybrid_sleep(rig):
    con, _ = debian_boot(rig, "hybrid-sleep", s3=True)
    helper_suspended(rig, con)
    con.qmp.command("system_wakeup")
    t_w, _ = con.wait_for(mark("woken"), 300, "the helper to wake up")
    rig.mark(t_w, "woken by the user (QMP system_wakeup): the helper discards the image")
    t_b, _ = con.wait_for(mark("jump-back"), 300, "the helper to jump back")
    rig.mark(t_b, "back to the original kernel")
    debian_verified(rig, con, "workload, dirty file, hooks, image invalid (woken)")


@scenario("hybrid-sleep-powercut", "Debian guest: hybrid sleep, then the power fails during the suspend to "
          "RAM: the next boot restores the image",
          expect="restored from the image written before the suspend; image consumed")
def hybrid_sleep_powercut(rig):
    con, location = debian_boot(rig, "hybrid-sleep-powercut", s3=True)
    helper_suspended(rig, con)
    con.kill()
    rig.mark(time.monotonic(), "power cut during the suspend to RAM")
    con = debian_restore(rig, location, "after_power_cut", s3=True)
    debian_verified(rig, con)


def debian_suspended(rig, scenario_name):
    """suspend-then-hibernate: the Debian guest (with S3) asks for it and
    the original kernel suspends to RAM. Returns (console, location, when)."""
    con, location = debian_boot(rig, scenario_name, s3=True)
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    rig.mark(t_req, "suspend-then-hibernate requested")
    t_s = con.wait_qmp_event("SUSPEND", 300, "the guest to suspend to RAM")
    rig.mark(t_s, "suspended to RAM (ACPI S3)")
    return con, location, t_s


@scenario("suspend-then-hibernate", "Debian guest: systemctl suspend-then-hibernate with a short "
          "HibernateDelaySec: suspended, woken by the RTC alarm, hibernated, restored",
          expect="S3, the alarm wakes the machine after the delay, the image is written, power off, restored")
def suspend_then_hibernate(rig):
    con, location, t_s = debian_suspended(rig, "suspend-then-hibernate")
    t_w = con.wait_qmp_event("WAKEUP", 600, "the RTC alarm to wake the guest")
    rig.mark(t_w, "woken by the RTC alarm")
    rig.timings["suspended_s"] = t_w - t_s
    debian_image(rig, con, "poweroff")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "power off")
    con = debian_restore(rig, location, "after_hibernate", s3=True)
    debian_verified(rig, con)


@scenario("suspend-then-hibernate-early", "Debian guest: suspend-then-hibernate woken by the user before "
          "the delay: back in the session, nothing written",
          expect="S3, woken before HibernateDelaySec; no helper, the image untouched")
def suspend_then_hibernate_early(rig):
    con, _, _ = debian_suspended(rig, "suspend-then-hibernate-early")
    con.qmp.command("system_wakeup")
    rig.mark(time.monotonic(), "woken by the user (QMP system_wakeup)")
    debian_verified(rig, con, "workload, dirty file, hooks, image untouched")
    if con.lines_matching(mark("helper-up")):
        raise ScenarioFailed("the helper ran although the user woke the machine before the delay")


@scenario("cancel-esc", "Debian guest: Esc pressed on the keyboard while the helper writes the image: the "
          "hibernation is cancelled, the session goes on",
          expect="the helper stops writing, marks the image invalid (cancelled) and jumps back; the caller is "
                 "told 'cancelled by the user'; nothing is restored")
def cancel_esc(rig):
    con, _ = debian_boot(rig, "cancel-esc", qmp=True)
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    t_req, _ = con.wait_for(r"KJUMP-EVENT request", 60)
    rig.mark(t_req, "hibernation requested")
    helper_up(con, rig, "hibernate", 600)
    t_s, _ = con.wait_for(mark("saving"), 1800, "the image write to start")
    # The PS/2 keyboard, as a user would press Esc.
    con.qmp.command("send-key", keys=[{"type": "qcode", "data": "esc"}])
    rig.mark(time.monotonic(), "Esc pressed (QMP send-key)")
    t_c, m = con.wait_for(mark("cancelled"), 300, "the helper to see Esc")
    rig.mark(t_c, f"the helper cancelled at {fields(m).get('percent')} %")
    t_b, _ = con.wait_for(mark("jump-back"), 300, "the helper to jump back")
    rig.mark(t_b, "back to the original kernel")
    if con.lines_matching(mark("committed")):
        raise ScenarioFailed("the image was committed although Esc cancelled it")
    debian_verified(rig, con, "workload, dirty file, hooks, image invalid (cancelled), caller told")


@scenario("upower-critical", "Debian guest without S3: the battery runs down to 1 %; UPower's critical action "
          "falls back from HybridSleep (not offered) to Hibernate, which kjump does; restored",
          expect="UPower hibernates through logind and kjump; the machine is restored")
def upower_critical(rig):
    debian_cycles(rig, "upower-critical", 1)


@scenario("dracut-hibernate", "Debian guest whose initramfs dracut made (kjump's dracut module): systemctl "
          "hibernate, power off, restore from the initramfs")
def dracut_hibernate(rig):
    debian_cycles(rig, "dracut-hibernate", 1, initrd_tool="dracut")


PASSPHRASE = "kjump test passphrase"  # lvm-luks-hibernate.sh's


def type_passphrase(rig, con, wrong_first=False):
    """As a user at cryptsetup-initramfs's prompt; WRONG_FIRST: a wrong
    passphrase first, which must be refused (and asked again)."""
    prompt = r"Please unlock disk cryptroot: ?$"
    if wrong_first:
        con.wait_for_prompt(prompt, 900, "the initramfs's passphrase prompt")
        con.type("not the passphrase\n")
        t, _ = con.wait_for(r"cryptsetup: ERROR: cryptroot: cryptsetup failed, bad password or options", 300,
                            "the wrong passphrase to be refused")
        rig.mark(t, "initramfs: a wrong passphrase refused")
    t = con.wait_for_prompt(prompt, 900, "the initramfs's passphrase prompt")
    con.type(PASSPHRASE + "\n")
    rig.mark(t, "initramfs: passphrase typed at the console")


def plaintext_marker(con):
    """The text hold_plaintext_marker (lib.sh) keeps in the guest's RAM,
    from the seed it says."""
    _, m = con.wait_for(r"KJUMP-EVENT plaintext-seed ([0-9a-f]+)", 300, "the plaintext marker's seed")
    return b"KJUMP-PLAINTEXT-" + hashlib.sha256(m.group(1).encode()).hexdigest()[:32].encode()


def raw_disk_holds(path, needles):
    """Which of NEEDLES (bytes) occur anywhere in the disk image PATH.
    Only its data is read (a sparse image's holes are zeros): each data
    region with as much of its neighbours as a needle could reach into."""
    found = set()
    reach = max(len(n) for n in needles) - 1
    step = 64 << 20
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:  # no data after POS
                    break
                raise
            end = os.lseek(fd, start, os.SEEK_HOLE)
            # [start - reach, end + reach), read in steps that overlap by REACH
            at = max(0, start - reach)
            stop = min(size, end + reach)
            while at < stop:
                data = os.pread(fd, min(step + reach, stop - at), at)
                if not data:
                    break
                found.update(n for n in needles if n in data)
                at += step
            pos = end
    finally:
        os.close(fd)
    return found


# The root= of each layout layout-root.sh builds on the second disk.
LAYOUT_ROOTS = {
    "luks": "/dev/mapper/cryptroot",
    "lvm-luks": "/dev/mapper/kjvg-root",
    "btrfs": "/dev/vdb rootflags=subvol=root",
    "btrfs-luks": "/dev/mapper/cryptroot rootflags=subvol=root",
}


def layout_root(rig, name, layout, passphrase=False):
    """The root on LAYOUT, built inside the guest on its second disk
    (layout-root.sh), hibernated and restored through the initramfs that
    mounts it (unlocking it first when encrypted); the raw disk searched
    for plaintext of RAM; the file system checked clean from a clean
    shutdown."""
    encrypted = "luks" in layout
    rig.with_debian(extra_packages=("btrfs-progs", "cryptsetup-initramfs", "lvm2"),
                    extra_disk_mib=1536 + 2 * rig.args.mem)
    plain_initrd = rig.debian_initrd
    con = rig.boot_debian(name, "kjump.phase=setup")
    t, _ = con.wait_for(r"KJUMP-EVENT layout-root-ready layout=" + layout, 1800, "the new root to be built")
    rig.mark(t, f"root on {layout} built in the guest, with its own initramfs")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    rig.debian_initrd = rig.out / "layout-root-initrd.img"
    subprocess.run(["debugfs", "-R", f"dump -p /boot/initrd-layout.img {rig.debian_initrd}", str(rig.debian_disk)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rig.debian_root = LAYOUT_ROOTS[layout]
    unlock = (lambda c, wrong=False: type_passphrase(rig, c, wrong)) if passphrase else None

    con = rig.boot_debian(name, "kjump.phase=hibernate")
    if unlock:
        unlock(con)
    t, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the new root to boot")
    rig.mark(t, f"booted from the root on {layout}")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 900, "the target to be set up")
    location = m.group(1)
    volume_key = None
    if encrypted:
        _, m = con.wait_for(r"KJUMP-EVENT volume-key ([0-9a-f]+)", 300, "the volume key")
        volume_key = bytes.fromhex(m.group(1))
    marker = plaintext_marker(con)
    hibernate_to_power_off(rig, con)

    # The disk as anyone could read it now. Encrypted: the LUKS header is
    # there (the search reads the right disk), neither the volume's key nor
    # the marker. Plain: the marker is there (the search can find it).
    needles = [marker] + ([b"LUKS\xba\xbe", volume_key] if encrypted else [])
    found = raw_disk_holds(rig.debian_extra_disk, needles)
    if encrypted:
        if b"LUKS\xba\xbe" not in found:
            raise ScenarioFailed("the raw disk holds no LUKS header: the search looked at the wrong disk")
        if volume_key in found:
            raise ScenarioFailed("the raw disk holds the dm-crypt volume key in plaintext")
        if marker in found:
            raise ScenarioFailed("the raw disk holds the marker kept in RAM in plaintext")
        rig.mark(time.monotonic(), "raw disk: neither the volume key nor the marker in plaintext")
        rig.facts["raw_disk_plaintext"] = "none"
    else:
        if marker not in found:
            raise ScenarioFailed("the plaintext image does not hold the marker kept in RAM: the search is blind")
        rig.mark(time.monotonic(), "raw disk: the marker in plaintext, as an unencrypted image must hold it")
        rig.facts["raw_disk_plaintext"] = "marker found (unencrypted layout)"

    con = debian_restore(rig, location, 1, unlock=(lambda c: unlock(c, True)) if unlock else None)
    debian_verified(rig, con, "workload, image consumed" + (" and its key destroyed" if encrypted else ""))

    # The file system from a clean shutdown, checked from the plain root.
    rig.debian_root, rig.debian_initrd = "/dev/vda", plain_initrd
    con = rig.boot_debian(name, "kjump.phase=fsck")
    t, _ = con.wait_for(r"KJUMP-EVENT fsck-clean", 900, "the check of the new root's file system")
    rig.mark(t, f"the root on {layout} checks clean")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)


ENCRYPTED_EXPECT = ("restored; the raw disk holds neither the volume key nor a marker kept in RAM; the image's key "
                    "destroyed; the root checks clean")


@scenario("luks-hibernate", "Debian guest: root on LUKS2 (keyfile in the initramfs), the image file on root, "
          "encrypted by kjump with its key inside the volume; systemctl hibernate, restored after the initramfs "
          "unlocks the root", expect=ENCRYPTED_EXPECT)
def luks_hibernate(rig):
    layout_root(rig, "luks-hibernate", "luks")


@scenario("lvm-luks-hibernate", "Debian guest: LVM on LUKS2 (Debian's guided encrypted layout), the image file on "
          "the root LV; the passphrase typed at the console (a wrong one first, refused)", expect=ENCRYPTED_EXPECT)
def lvm_luks_hibernate(rig):
    layout_root(rig, "lvm-luks-hibernate", "lvm-luks", passphrase=True)


@scenario("btrfs-hibernate", "Debian guest: root on btrfs (subvolume root, Fedora's default), the image file on "
          "root, NOCOW, mapped through the chunk tree; CoW, compressed and snapshot-shared files refused",
          expect="restored; refusals named; the plaintext image holds a marker kept in RAM (the raw-disk search "
                 "works); btrfs check clean")
def btrfs_hibernate(rig):
    layout_root(rig, "btrfs-hibernate", "btrfs")


@scenario("btrfs-luks-hibernate", "Debian guest: root on btrfs on LUKS2 (Fedora's encrypted layout), the image "
          "file on root, encrypted by kjump; restored after the initramfs unlocks the root", expect=ENCRYPTED_EXPECT)
def btrfs_luks_hibernate(rig):
    layout_root(rig, "btrfs-luks-hibernate", "btrfs-luks")


@scenario("tpm2-hibernate", "Debian guest with a TPM 2.0 (swtpm): plain ext4 root, Encryption=tpm2, the image's key "
          "in the TPM's NV index under a PCR 7 policy; systemctl hibernate, restored by the initramfs",
          expect="restored; the raw root disk holds the image header but not a marker kept in RAM; the key destroyed; "
                 "a second image not restored, with kjump-clear masked: kjumpd invalidates it and destroys its key")
def tpm2_hibernate(rig):
    rig.with_debian()
    rig.with_tpm()
    con, location = debian_boot(rig, "tpm2-hibernate")
    marker = plaintext_marker(con)
    hibernate_to_power_off(rig, con)
    found = raw_disk_holds(rig.debian_disk, [b"KJUMPIMG", marker])
    if b"KJUMPIMG" not in found:
        raise ScenarioFailed("the raw disk holds no kjump header: the search looked at the wrong disk")
    if marker in found:
        raise ScenarioFailed("the raw disk holds the marker kept in RAM in plaintext")
    rig.mark(time.monotonic(), "raw disk: the image's header, not the marker")
    rig.facts["raw_disk_plaintext"] = "none"
    con = debian_restore(rig, location, 1)
    t_ok, _ = con.wait_for(r"KJUMP-EVENT verified-restore", 900, "the checks after the restore")
    rig.mark(t_ok, "workload, image consumed and its key destroyed in the TPM: verified")
    # A second image, and a boot that does not restore it while
    # kjump-clear.service is masked: kjumpd invalidates it at its start
    # and destroys its key in the TPM too.
    con.wait_for(mark("committed"), 1800, "the second image to be committed")
    con.wait_exit(300)
    rig.mark(time.monotonic(), "second image, power off")
    spec, offset = location.rsplit(":", 1)
    con = rig.boot_debian("tpm2-hibernate", f"kjump.resume={spec}:{int(offset) + 4096} "
                                            "kjump.expect=kjumpd-invalidates")
    con.wait_for(mark("resume-none"), 900, "kjump-resume to find no image at the wrong location")
    debian_verified(rig, con, "kjumpd invalidated the image it was not restored from, and destroyed its key")
