# SPDX-License-Identifier: LGPL-2.1-or-later
"""Faults and misuse: nothing is lost, nothing stale or forged reaches RAM.
Each ends with a clean fresh boot that finds the image in the state it
must be in (or a restore whose workload verifies), and every guest file
system checks clean afterwards (Rig.check_filesystems)."""
import subprocess

from ..config import BUILDDIR, ScenarioFailed
from ..console import mark
from ..registry import scenario
from .common import cut_then_fresh, fresh_boot, helper_up, hibernate_boot, restore_boot, restore_refused_by_helper


def location_offset(location):
    return int(location.rsplit(":", 1)[1])


@scenario("cut-header", "power cut right after the first header is written: fresh boot, image invalid",
          expect="fresh boot, image invalid (helper error), file systems clean")
def cut_header(rig):
    cut_then_fresh(rig, "jump")


@scenario("cut-data", "power cut while the data is written: fresh boot, image invalid",
          expect="fresh boot, image invalid (helper error), file systems clean")
def cut_data(rig):
    cut_then_fresh(rig, "saving")


@scenario("cut-commit", "power cut between the flushed index and the commit: fresh boot, image invalid",
          expect="fresh boot, image invalid (helper error), file systems clean")
def cut_commit(rig):
    cut_then_fresh(rig, "power-cut", "kjump.helper-extra=kjump.test-cut-commit")


@scenario("cut-restore", "power cut while the image is restored: the next boot is fresh, never a loop",
          expect="two fresh boots in a row, image invalid, never a restore loop")
def cut_restore(rig):
    rig.with_disks()
    location = hibernate_boot(rig)
    con = rig.boot("expect-resume", f"kjump.resume={location}")
    con.wait_for(mark("resume-handover"), 1800, "the handover to the helper")
    helper_up(con, rig, "restore")
    con.kill()
    rig.facts["power_cut_at"] = "restore"
    # The image was marked restoring before the handover: never again.
    fresh_boot(rig, location, "invalid:helper_error")
    # And a third boot is as fresh as the second.
    fresh_boot(rig, location, "invalid:helper_error")


def forge_then_boot(rig, extra="", protected=False):
    """Hibernates, forges the image on the host (forge-image: the last
    chunk onto device registers, the plain checksums recomputed), and boots
    fresh: the image must be found invalid (corrupt). Returns the console."""
    rig.with_disks()
    rig.require_target("file")
    location = hibernate_boot(rig, extra=extra)
    res = subprocess.run([str(BUILDDIR / "tests" / "forge-image"), str(rig.ext4), str(location_offset(location))],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0 or protected != ("a protected image" in res.stdout):
        raise ScenarioFailed(f"forge-image did not forge {'a protected' if protected else 'an'} image: "
                             f"{res.stdout.strip()}")
    rig.facts["forged"] = res.stdout.strip()
    return fresh_boot(rig, location, "invalid:corrupt")


@scenario("forged-image", "an image with valid checksums whose chunks point at device registers: refused",
          expect="kjump-resume refuses it as corrupt before the helper starts; fresh boot")
def forged_image(rig):
    con = forge_then_boot(rig)
    if not con.lines_matching(r"KJUMP-MARK resume-invalidated .*reason=corrupt"):
        raise ScenarioFailed("kjump-resume did not refuse the forged image as corrupt")
    # Refused by the binding of the index to RAM, not by a checksum.
    if not con.lines_matching(r"kjump-resume: .*does not tile the recorded RAM"):
        raise ScenarioFailed("the forged image was not refused for pointing outside the recorded RAM")


@scenario("forged-image-tpm2", "the same forgery of an encrypted image (Encryption=tpm2, swtpm): its index "
          "and checksums changed without the key: refused",
          expect="kjump-resume reads the key from the TPM, the header does not authenticate: refused as corrupt "
                 "before the helper starts; fresh boot; the key destroyed")
def forged_image_tpm2(rig):
    rig.with_tpm()
    con = forge_then_boot(rig, extra="kjump.encryption=tpm2", protected=True)
    if not con.lines_matching(r"kjump-resume: Key read from the TPM"):
        raise ScenarioFailed("kjump-resume did not read the key from the TPM")
    if not con.lines_matching(r"kjump-resume: .*the header does not authenticate under the image's key"):
        raise ScenarioFailed("the forged image was not refused by its authentication")
    if not con.lines_matching(r"KJUMP-MARK key-destroyed"):
        raise ScenarioFailed("the refused image's key was not destroyed")


def partition_with_fs(rig, label, uuid):
    """An ext4 file system on the guest's raw partition, made on the host."""
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-U", uuid, "-E", f"offset={rig.part_offset}",
                    str(rig.raw), f"{rig.part_size >> 10}k"], check=True)


def check_partition_fs(rig, label):
    """The partition's file system is still there, with its label, clean."""
    dev = subprocess.run(["losetup", "-f", "--show", "-r", "-o", str(rig.part_offset), "--sizelimit",
                          str(rig.part_size), str(rig.raw)], check=True, stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    try:
        res = subprocess.run(["e2fsck", "-fn", dev], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        got = subprocess.run(["blkid", "-p", "-s", "LABEL", "-o", "value", dev], stdout=subprocess.PIPE,
                             text=True).stdout.strip()
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
    if res.returncode != 0:
        raise ScenarioFailed(f"the partition's file system does not check clean: {res.stdout.strip()[-300:]}")
    if got != label:
        raise ScenarioFailed(f"the partition's file system lost its label ({got!r} instead of {label!r})")


@scenario("partition-in-use", "a partition holding a file system is refused as a target, mounted or not",
          ci=[{"target": "partition"}],
          expect="setup-target and the jump refuse it by LABEL= and PARTUUID=, mounted or not; its file system and label intact")
def partition_in_use(rig):
    rig.with_disks()
    rig.require_target("partition")
    partition_with_fs(rig, "precious", "6b6a756d-0000-4000-8000-00000000beef")
    con = rig.boot("partition-in-use", "kjump.label=precious")
    con.wait_for(r"KJUMP-EVENT verified", 900, "the refusals")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(120)
    check_partition_fs(rig, "precious")


def partition_by(rig, spec_kind):
    """A partition that held a file system, set up with --force by its
    LABEL= or UUID=, then a full hibernation cycle through the PARTUUID
    setup-target names."""
    rig.with_disks()
    rig.require_target("partition")
    uuid = "6b6a756d-0000-4000-8000-00000000cafe"
    partition_with_fs(rig, "kjump-part", uuid)
    spec = "LABEL=kjump-part" if spec_kind == "label" else f"UUID={uuid}"
    location = hibernate_boot(rig, extra=f"kjump.setup-spec={spec}")
    if not location.startswith("PARTUUID="):
        raise ScenarioFailed(f"the resume location of a partition is {location}, not its PARTUUID")
    restore_boot(rig, location)


@scenario("partition-label", "a partition target given as LABEL= (setup-target --force) survives a cycle",
          ci=[{"target": "partition"}],
          expect="set up with --force, resume location by PARTUUID, hibernation and restore verified")
def partition_label(rig):
    partition_by(rig, "label")


@scenario("partition-uuid", "a partition target given as UUID= (setup-target --force) survives a cycle",
          ci=[{"target": "partition"}],
          expect="set up with --force, resume location by PARTUUID, hibernation and restore verified")
def partition_uuid(rig):
    partition_by(rig, "uuid")


@scenario("io-error-write", "the target fails writes mid-image (blkdebug): the helper says so and jumps "
          "back, A runs on, the image is invalid", ci=[{"target": "partition"}],
          expect="the helper records the I/O error and jumps back; A runs on, workload intact, image invalid")
def io_error_write(rig):
    rig.with_disks()
    rig.require_target("partition")
    # 48 MiB into the partition: past the header and the first chunks.
    rig.inject_io_error("raw.img", "write_aio", rig.part_offset + (48 << 20))
    con = rig.boot("io-error-write")
    _, m = con.wait_for(r"KJUMP-EVENT resume-location kjump\.resume=(\S+)", 600, "the resume location")
    location = m.group(1)
    con.wait_for(r"KJUMP-MARK helper-failed reason=error", 1800, "the helper to report the I/O error")
    con.wait_for(mark("jump-back"), 300, "the helper to jump back")
    con.wait_for(r"KJUMP-EVENT verified", 900, "A to run on with its workload intact")
    con.wait_for(r"KJUMP-RESULT PASS", 300)
    con.wait_exit(120)
    fresh_boot(rig, location, "invalid:helper_error")


@scenario("io-error-restore", "the target fails reads at boot (blkdebug): the helper refuses the image "
          "before A is entered, the next boot is fresh", ci=[{"target": "partition"}],
          expect="the helper refuses the unreadable image and reboots before A is entered; fresh boot")
def io_error_restore(rig):
    rig.with_disks()
    rig.require_target("partition")
    location = hibernate_boot(rig)
    rig.inject_io_error("raw.img", "read_aio", rig.part_offset + (48 << 20))
    restore_refused_by_helper(rig, location)
    fresh_boot(rig, location, "invalid:corrupt")
