# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian 12 guest: systemd, logind, polkit, kjumpd, initramfs-tools."""
import re
import time

from ..config import ScenarioFailed
from ..registry import scenario
from ..console import fields, mark
from .common import helper_up


def debian_cycles(rig, scenario_name, cycles, before=(), then="poweroff"):
    """The Debian guest hibernates CYCLES times the way SCENARIO_NAME asks;
    after each power-off QEMU starts again on the same disk and the
    initramfs restores the image; the guest's runner checks the rest."""
    rig.with_debian()
    con = rig.boot_debian(scenario_name)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    rig.mark(t_boot, "Debian guest up (systemd, kjumpd)")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 900, "the target to be set up")
    location = m.group(1)
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
        helper_up(con, rig, "hibernate", 600)
        t_w, m = con.wait_for(mark("image-written"), 1800, "the image to be written")
        rig.mark(t_w, "image written: " + " ".join(f"{k}={v}" for k, v in fields(m).items()))
        _, m = con.wait_for(mark("committed"), 120, "the commit")
        if fields(m).get("then") != then:
            raise ScenarioFailed(f"the helper committed the image and went on to {fields(m).get('then')}, not {then}")
        if then == "reboot":
            # The kernel says so; with -no-reboot QEMU then exits, and the
            # rig starts the machine again as its firmware would.
            con.wait_for(r"reboot: Restarting system", 120, "the helper to reboot")
        con.wait_exit(300)
        rig.mark(time.monotonic(), "reboot" if then == "reboot" else "power off")
        con = rig.boot_debian("expect-resume", f"kjump.resume={location}")
        t_v, _ = con.wait_for(mark("resume-verified"), 1800, "the initramfs to verify the image")
        rig.mark(t_v, "initramfs: image verified, handing over")
        t_r, _ = con.wait_for(mark("restored"), 1800, "the restore")
        rig.mark(t_r, "RAM restored")
        t_res, _ = con.wait_for(r"KJUMP-EVENT resumed", 600, "the original system to run again")
        rig.mark(t_res, "original system running again")
        rig.timings[f"power_on_to_running_{cycle}_s"] = t_res - con.start
    t_ok, _ = con.wait_for(r"KJUMP-EVENT verified", 900, "the checks after the restore")
    rig.mark(t_ok, "workload, dirty file, hooks in the journal, image consumed: verified")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)


@scenario("systemd-hibernate", "Debian guest: systemctl hibernate, power off, restore from the initramfs")
def systemd_hibernate(rig):
    debian_cycles(rig, "systemd-hibernate", 1)


@scenario("dbus-hibernate", "Debian guest: logind's Hibernate, then kjumpd's own, each restored")
def dbus_hibernate(rig):
    debian_cycles(rig, "dbus-hibernate", 2)


@scenario("cli-hibernate", "Debian guest: kjumpctl suspend refused to a user, then as root")
def cli_hibernate(rig):
    debian_cycles(rig, "cli-hibernate", 1, before=[r"KJUMP-EVENT refused-ok"])


def debian_one_boot(rig, scenario_name):
    """One Debian boot whose runner checks everything itself."""
    rig.with_debian()
    con = rig.boot_debian(scenario_name)
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 900, "the Debian guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    con.wait_for(r"KJUMP-EVENT verified", 900, "the checks")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(300)
    return con


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


@scenario("can-sleep", "Debian guest: logind offers hibernation, and neither hybrid sleep nor "
          "suspend-then-hibernate, which kjump cannot do; systemctl refuses those")
def can_sleep(rig):
    debian_one_boot(rig, "can-sleep")


@scenario("hibernate-reboot", "Debian guest: HibernateMode=reboot: the helper commits the image and reboots; "
          "the machine restores")
def hibernate_reboot(rig):
    debian_cycles(rig, "hibernate-reboot", 1, then="reboot")
