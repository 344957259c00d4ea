# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian 12 guest with systemd: the cached debootstrap base, kjump
installed with 'meson install', its initramfs made by initramfs-tools with
kjump's hook, the test runner; no swap anywhere."""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .build import debian_base, locked
from .config import BUILDDIR, CACHE, REPO, VMDIR, ScenarioFailed, log


def kernel_release(bzimage):
    """The release string a bzImage carries (setup header, kernel_version)."""
    data = Path(bzimage).read_bytes()
    off = int.from_bytes(data[0x20E:0x210], "little") + 0x200
    return data[off:off + 128].split(b" ")[0].decode()


def root_digest(root, *extra):
    """A hash of everything in ROOT an initramfs could be made of (every
    path, mode, link target and file content; not the test runner's
    /kjump-test), and of EXTRA."""
    h = hashlib.sha256("\0".join(extra).encode())
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames.remove("kjump-test")
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            h.update(f"{rel}/{name}\0{st.st_mode:o}\0".encode())
            if os.path.islink(path):
                h.update(os.readlink(path).encode() + b"\0")
            elif name in filenames and os.path.isfile(path):
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
    return h.hexdigest()[:16]


def root_state(root):
    """Every path under ROOT but /proc: relative path -> (mode, size,
    mtime) of the path itself (a link is not followed)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == str(root):
            dirnames.remove("proc")
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            state[os.path.relpath(path, root)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return state


def build_debian_guest(kernels, out, workload, initrd_tool="initramfs-tools", package=None, extra_packages=()):
    """The Debian 12 guest with systemd: the cached debootstrap base, kjump
    installed with 'meson install' (prefix /usr), its initramfs made by
    INITRD_TOOL (initramfs-tools with kjump's hook, or dracut with kjump's
    module), the test runner; no swap anywhere. Returns (root image, initrd).
    With PACKAGE (a .deb) kjump is not installed: the .deb waits in
    /kjump-test for the scenario to install it."""
    base = debian_base(initrd_tool, extra_packages)
    guest_build = BUILDDIR.parent / (BUILDDIR.name + "-debian-guest")
    with locked("build-" + str(guest_build).replace("/", "_")):
        if package:
            pass
        elif not (guest_build / "build.ninja").exists():
            subprocess.run(["meson", "setup", str(guest_build), str(REPO), "--prefix=/usr", "--sysconfdir=/etc",
                            f"-Dhelper-kernel={kernels['helper']}"], check=True, stdout=subprocess.DEVNULL)
        else:
            subprocess.run(["meson", "configure", str(guest_build), f"-Dhelper-kernel={kernels['helper']}"],
                           check=True, stdout=subprocess.DEVNULL)
        if not package:
            subprocess.run(["ninja", "-C", str(guest_build)], check=True, stdout=subprocess.DEVNULL)

    root = out / "debian-root"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xf", base], check=True)
    if not package:
        with locked("build-" + str(guest_build).replace("/", "_")):
            subprocess.run(["meson", "install", "-C", str(guest_build), "--destdir", str(root), "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)
    t = root / "kjump-test"
    shutil.copytree(VMDIR / "debian", t / "debian")
    if package:
        shutil.copy(package, t / Path(package).name)
    shutil.copy(workload, t / "workload")
    os.chmod(t / "workload", 0o755)
    shutil.copy(BUILDDIR / "tests" / "kjump-memhog", root / "usr" / "local" / "bin" / "kjump-memhog")
    shutil.copy(VMDIR / "debian" / "kjump-test.service", root / "etc" / "systemd" / "system")
    shutil.copy(VMDIR / "debian" / "kjump-test-hook", root / "usr" / "lib" / "systemd" / "system-sleep")
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    for unit, path in (("kjump-test.service", "/etc/systemd/system/kjump-test.service"),
                       ("kjumpd.service", "/lib/systemd/system/kjumpd.service")):
        link = wants / unit
        if not link.exists() and (unit == "kjump-test.service" or not package):
            link.symlink_to(path)
    # As 'systemctl enable kjumpd' does (Also=kjump-clear.service).
    sysinit = root / "etc" / "systemd" / "system" / "sysinit.target.wants"
    sysinit.mkdir(parents=True, exist_ok=True)
    link = sysinit / "kjump-clear.service"
    if not link.exists() and not package:
        link.symlink_to("/lib/systemd/system/kjump-clear.service")

    # The guest kernel has no modules; initramfs-tools wants the directory.
    release = kernel_release(kernels["guest"])
    (root / "lib" / "modules" / release).mkdir(parents=True, exist_ok=True)
    for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        (root / "lib" / "modules" / release / f).touch()
    # mkinitramfs reads the kernel's configuration for its compressors.
    shutil.copy(Path(kernels["guest"]).parent / "config", root / "boot" / f"config-{release}")
    # What the initramfs tool makes depends on nothing but the root as it
    # is now: from the same root, what it made and changed (the initramfs,
    # and what kjump's hook records in the root) comes from the cache, a
    # tar of every path it added or changed (a Debian scenario's guest
    # took half a minute of host time, most of it making the initramfs).
    made = CACHE / "initrd" / f"{initrd_tool}-{root_digest(root, initrd_tool, release)}.tar"
    cached = made.exists()  # once: another scenario may cache it meanwhile
    if initrd_tool == "dracut":
        # As Debian's dracut would make it, but for any machine (the
        # chroot is not the guest) and without modules (the guest
        # kernel has none).
        make = ["dracut", "--force", "--no-hostonly", "--no-kernel", f"/boot/initrd.img-{release}", release]
        lister, hook = ["lsinitrd"], "pre-mount/10-kjump-resume.sh"
    else:
        make = ["mkinitramfs", "-o", f"/boot/initrd.img-{release}", release]
        lister, hook = ["lsinitramfs"], "local-premount/kjump"
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        subprocess.run(["chroot", str(root), "depmod", release], check=True)
        if cached:
            log(f"debian: what {make[0]} made and changed in this very root, from the cache: {made}")
            subprocess.run(["tar", "-C", str(root), "-xpf", str(made)], check=True)
        else:
            before = root_state(root)
            res = subprocess.run(["chroot", str(root)] + make, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            if res.returncode != 0:
                raise ScenarioFailed(f"{make[0]} failed in the guest: " +
                                     " | ".join(res.stdout.strip().splitlines()[-5:]))
    finally:
        subprocess.run(["umount", str(root / "proc")], check=False)
    initrd = out / "debian-initrd.img"
    shutil.copy(root / "boot" / f"initrd.img-{release}", initrd)
    if not cached:
        listing = subprocess.run(["chroot", str(root)] + lister + [f"/boot/initrd.img-{release}"],
                                 stdout=subprocess.PIPE, text=True).stdout
        for needed in ("kjump-resume", "helper.bzImage", "sbin/kexec", hook):
            if package and needed != "sbin/kexec" and needed in listing:
                raise ScenarioFailed(f"the initramfs holds {needed} before kjump's package is installed")
            if not package and needed not in listing:
                raise ScenarioFailed(f"the initramfs made by {initrd_tool} lacks {needed}: kjump's hook did not run")
        after = root_state(root)
        gone = [p for p in before if p not in after]
        if gone:
            log(f"debian: {make[0]} removed {gone[:3]} from the root: what it made is not cached")
        else:
            changed = sorted(p for p, st in after.items() if before.get(p) != st)
            made.parent.mkdir(parents=True, exist_ok=True)
            tmp = made.with_name(f"{made.name}.{os.getpid()}.tmp")
            subprocess.run(["tar", "-C", str(root), "--no-recursion", "--null", "-T", "-", "-cf", str(tmp)],
                           input="\0".join(changed).encode(), check=True)
            os.replace(tmp, made)
    return root, initrd
