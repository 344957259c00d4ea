# SPDX-License-Identifier: LGPL-2.1-or-later
"""The jump and the image, without a power cycle: the helper jumps back."""
from ..registry import scenario
from .common import (FREE_PAGES, SCREENS_RESTORE, SCREENS_WRITE, VERIFIED, WRITTEN, check_inspect_on_host,
                     jump_and_back)


@scenario("jump-roundtrip", "A jumps into the helper with preserve-context and the helper jumps back",
          ci=[{"mem": 1024}])
def jump_roundtrip(rig):
    jump_and_back(rig, "jump-roundtrip", "roundtrip")


@scenario("image-test", "the helper writes an image, verifies every checksum and jumps back",
          ci=[{"mem": 1024}, {"mem": 2048, "target": "partition"}])
def image_test(rig):
    rig.with_disks()
    jump_and_back(rig, "image-test", "test", [FREE_PAGES, SCREENS_WRITE, WRITTEN, VERIFIED])
    check_inspect_on_host(rig)


@scenario("image-test-restore", "the helper writes an image, overwrites A's RAM, restores it and jumps back",
          ci=[{"mem": 1024}, {"mem": 2048, "target": "partition"},
              {"mem": 1536, "workload": "tests/vm/workloads/process-tree.sh"},
              {"mem": 1024, "workload": "tests/vm/workloads/churn.sh"}])
def image_test_restore(rig):
    rig.with_disks()
    jump_and_back(rig, "image-test-restore", "test-restore", [
        FREE_PAGES, SCREENS_WRITE, WRITTEN, VERIFIED,
        ("scribbled", 600, "the helper to overwrite A's RAM"),
        SCREENS_RESTORE,
        ("read-back", 1200, "the restore"),
    ])
    check_inspect_on_host(rig)


@scenario("init-on-free", "image-test-restore in a kernel booted with init_on_free=1 (it hands out free pages "
          "without zeroing them): kjump restores them as zeros, and fresh memory is zero afterwards",
          ci=[{"mem": 1024}])
def init_on_free(rig):
    rig.with_disks()
    jump_and_back(rig, "init-on-free", "test-restore", [
        FREE_PAGES, WRITTEN, VERIFIED,
        ("scribbled", 600, "the helper to overwrite A's RAM"),
        ("read-back", 1200, "the restore"),
    ], cmdline="init_on_free=1", free_restore="zero")


@scenario("image-error", "the target is far too small: kjump refuses before the jump with the figures; A keeps "
          "running, the target untouched")
def image_error(rig):
    rig.with_disks()
    con = rig.boot("image-error")
    t_boot, _ = con.wait_for(r"KJUMP-EVENT boot-done", 600, "the guest to boot")
    rig.timings["guest_boot_s"] = t_boot - con.start
    con.wait_for(r"KJUMP-EVENT workload-ready", 900, "the workload setup")
    con.wait_for(r"KJUMP-EVENT request", 60)
    con.wait_for(r"KJUMP-EVENT verified", 900, "the refusal and the checks after it")
    con.wait_for(r"KJUMP-RESULT PASS", 600)
    con.wait_exit(120)
