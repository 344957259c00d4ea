# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hibernation across a power-off, and the boots that must not restore."""
import re

from ..config import ScenarioFailed
from ..registry import scenario
from .common import cut_then_fresh, fresh_boot, hibernate_boot, restore_boot, restore_refused_by_helper


@scenario("hibernate-restore", "hibernate, power off, cold boot, restore: the guest carries on",
          ci=[{"mem": 1024}, {"mem": 2048, "target": "partition"},
              {"mem": 1024, "workload": "tests/vm/workloads/churn.sh"}])
def hibernate_restore(rig):
    rig.with_disks()
    location = hibernate_boot(rig)
    restore_boot(rig, location)


def platform_facts(con, pattern):
    """The key=value fields of each console line matching PATTERN."""
    return [dict(f.split("=", 1) for f in line.split() if "=" in f) for line in con.lines_matching(pattern)]


def expect_helper_x2apic(rig, con, what):
    """The helper ran as A's machine asks: x2APIC, every CPU online, its
    disk's interrupts delivered through the IOMMU's remapping."""
    up = platform_facts(con, r"KJUMP-MARK helper-up ")
    irqs = platform_facts(con, r"KJUMP-MARK disk-irqs ")
    if not up or not irqs:
        raise ScenarioFailed(f"the helper {what} did not report its APIC or its disk's interrupts")
    up, irqs = up[-1], irqs[-1]
    rig.facts[f"helper_{what}"] = {"apic": up.get("apic"), "online": up.get("online"), "cpus": up.get("cpus"),
                                   **{f"disk_{k}": v for k, v in irqs.items()}}
    if up.get("apic") != "x2apic":
        raise ScenarioFailed(f"the helper {what} runs its APIC in mode {up.get('apic')}, not x2apic")
    if int(up.get("online", 0)) != 2:
        raise ScenarioFailed(f"the helper {what} has {up.get('online')} CPUs online, not the machine's 2")
    if int(irqs.get("vectors", 0)) == 0 or int(irqs.get("count", 0)) == 0:
        raise ScenarioFailed(f"the helper {what} took no MSI interrupts from its disk: {irqs}")
    if not irqs.get("chip", "").startswith("IR-"):
        raise ScenarioFailed(f"the helper {what} took its disk's interrupts without remapping: chip {irqs.get('chip')}")


@scenario("x2apic-hibernate", "on a q35 machine whose intel-iommu remaps interrupts and translates DMA, A runs "
          "x2APIC; the helper comes up x2APIC on every CPU with its disk's interrupts remapped, writes, powers off, "
          "restores; A's remapped interrupts work after", ci=[{"mem": 1024}])
def x2apic_hibernate(rig):
    rig.with_x2apic()
    rig.with_disks()
    location = hibernate_boot(rig)
    first = rig.consoles[-1]
    before = platform_facts(first, r"KJUMP-EVENT platform when=before")
    if not before:
        raise ScenarioFailed("the guest did not report its platform")
    before = before[0]
    rig.facts["a_before"] = before
    if before["apic"] != "x2apic" or before["remap"] != "x2apic" or not before["disk_chip"].startswith("IR-"):
        raise ScenarioFailed(f"A does not run x2APIC with its interrupts remapped on this machine: {before}")
    expect_helper_x2apic(rig, first, "writing")
    restore_boot(rig, location)
    second = rig.consoles[-1]
    expect_helper_x2apic(rig, second, "restoring")
    resumed = platform_facts(second, r"KJUMP-EVENT platform when=resumed")
    after = platform_facts(second, r"KJUMP-EVENT platform when=after")
    if not resumed or not after:
        raise ScenarioFailed("the restored guest did not report its platform")
    resumed, after = resumed[0], after[0]
    rig.facts["a_after"] = after
    # A in xAPIC mode after its resume would fault on its first x2APIC
    # access; its log may have been filled by the workload since boot, so
    # what is checked is that its disk's vectors are still remapped and
    # deliver: the disk was read after the restore (drop_caches, sha256sum).
    if not after["disk_chip"].startswith("IR-"):
        raise ScenarioFailed(f"A's disk interrupts are no longer remapped after the restore: {after}")
    if int(after["disk_irqs"]) <= int(resumed["disk_irqs"]):
        raise ScenarioFailed(f"A's disk raised no interrupt after the restore ({resumed['disk_irqs']} -> "
                             f"{after['disk_irqs']})")


@scenario("small-target", "a target of 40% of RAM with 60% in use, half of it page cache: kjumpd drops the "
          "cache, the image fits, the restore carries on", ci=[{"mem": 2048}])
def small_target(rig):
    rig.with_disks()
    location = hibernate_boot(rig, extra="kjump.target-size=40% kjump.fill=60")
    first = (rig.out / "console-1.log").read_text(errors="replace")
    memory = re.search(r"KJUMP-EVENT memory (.*)", first)
    dropped = re.search(r"KJUMP-MARK dropped-caches (.*)", first)
    if not memory or not dropped:
        raise ScenarioFailed("kjumpd did not drop the page cache to make the image fit "
                             f"(memory before: {memory.group(1) if memory else '?'})")
    rig.facts["memory_before"] = memory.group(1).strip()
    rig.facts["dropped_caches"] = dropped.group(1).strip()
    restore_boot(rig, location)


def flip_image_data(rig, location):
    """Flips a byte in the chunk data of the image on the powered-off disk."""
    offset = int(location.rsplit(":", 1)[1])
    disk, base = (rig.raw, rig.part_offset) if rig.args.target == "partition" else (rig.ext4, 0)
    with open(disk, "r+b") as f:
        f.seek(base + offset)
        header = f.read(4096)
        if header[:8] != b"KJUMPIMG":
            raise ScenarioFailed("no image header at the resume location")
        # Past the header and the extent map (data_start is at least 8192
        # and the map of a test target is one page), inside the chunk data.
        pos = base + offset + 8192 + 5000
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0xff]))


@scenario("restore-corrupt", "a byte of the image's data flipped while off: the helper refuses it before "
          "entering A, the next boot is fresh, image invalid",
          expect="the helper refuses it (corrupt) before A is entered; fresh boot")
def restore_corrupt(rig):
    rig.with_disks()
    location = hibernate_boot(rig)
    flip_image_data(rig, location)
    restore_refused_by_helper(rig, location)
    fresh_boot(rig, location, "invalid:corrupt")


@scenario("restore-cut", "QEMU killed during the image write: fresh boot, image invalid",
          ci=[{"target": "partition"}],
          expect="fresh boot, image invalid")
def restore_cut(rig):
    cut_then_fresh(rig, "saving")


@scenario("restore-noresume", "kjump.noresume: fresh boot, image invalid",
          expect="fresh boot, image invalid (kjump.noresume)")
def restore_noresume(rig):
    rig.with_disks()
    location = hibernate_boot(rig)
    fresh_boot(rig, location, "invalid:kjump.noresume", "kjump.noresume")


@scenario("restore-twice", "after one restore, a second cold boot does not restore again",
          expect="the second boot does not restore (consumed)")
def restore_twice(rig):
    rig.with_disks()
    location = hibernate_boot(rig)
    restore_boot(rig, location)
    fresh_boot(rig, location, "consumed")
