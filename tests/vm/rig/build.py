# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds what the guests need: both kernels (cached by build-kernels.sh),
kjump, the Debian base (cached by build-base.sh), and the minimal guest's
initrd, written by the project's own cpio writer (tools/mkcpio)."""
import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .config import BUILDDIR, CACHE, QEMU, REPO, VMDIR, ScenarioFailed, ScenarioSkipped, log


@contextlib.contextmanager
def locked(name):
    """Holds the lock NAME (a file in the cache) while building something
    that several scenarios run side by side (tests/run-all) share: one
    builds it, the others wait and find it built."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_kernels():
    cmd = [str(REPO / "helper-kernel" / "build-kernels.sh"), str(CACHE)]
    with locked("kernels"):
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    dirs = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {name: Path(d) / "bzImage" for name, d in dirs.items()}


def qemu_backports():
    """QEMU from bookworm-backports, unpacked in the cache (qemu-backports.sh):
    the directory holding usr/bin/qemu-system-x86_64."""
    with locked("qemu-backports"):
        out = subprocess.run([str(VMDIR / "qemu-backports.sh"), str(CACHE)], check=True, stdout=subprocess.PIPE,
                             text=True).stdout
    return Path(out.split()[-1])


def build_kjump():
    with locked("build-" + str(BUILDDIR).replace("/", "_")):
        if not (BUILDDIR / "build.ninja").exists():
            subprocess.run(["meson", "setup", str(BUILDDIR), str(REPO)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", str(BUILDDIR)], check=True, stdout=subprocess.DEVNULL)
    return {
        "kjumpctl": BUILDDIR / "daemon" / "kjumpctl",
        "helper-initrd": BUILDDIR / "helper-kernel" / "helper.cpio",
        "memhog": BUILDDIR / "tests" / "kjump-memhog",
        "kjump-resume": BUILDDIR / "initrd" / "kjump-resume",
        "mkcpio": BUILDDIR / "tools" / "mkcpio",
    }


def debian_base(initrd_tool="initramfs-tools", extra_packages=()):
    """The cached debootstrap base; with EXTRA_PACKAGES, a copy with them
    installed too (apt in a chroot), cached beside it by their names."""
    with locked("debian-base"):
        return _debian_base(initrd_tool, extra_packages)


# The Debian bases the scenarios use, built once by 'kjump-vm build'.
DEBIAN_BASES = (("initramfs-tools", ()), ("dracut", ()), ("initramfs-tools", ("lvm2",)),
                ("initramfs-tools", ("btrfs-progs", "cryptsetup-initramfs", "lvm2")))


def _debian_base(initrd_tool, extra_packages):
    base = subprocess.run([str(VMDIR / "debian" / "build-base.sh"), str(CACHE), initrd_tool], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    if not extra_packages:
        return base
    derived = Path(base[:-len(".tar")] + "-" + "-".join(sorted(extra_packages)) + ".tar")
    if derived.exists():
        return str(derived)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        subprocess.run(["tar", "-C", str(root), "-xf", base], check=True)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
        try:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            for cmd in (["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + list(extra_packages)):
                res = subprocess.run(["chroot", str(root)] + cmd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                if res.returncode != 0:
                    raise ScenarioFailed(f"cannot install {' '.join(extra_packages)} into the Debian base: "
                                          + " | ".join(res.stdout.strip().splitlines()[-3:]))
        finally:
            subprocess.run(["umount", str(root / "proc")], check=False)
        subprocess.run(["sh", "-c", f"rm -rf {root}/var/cache/apt/archives/*.deb {root}/var/lib/apt/lists/*"],
                       check=True)
        subprocess.run(["tar", "-C", str(root), "-cf", str(derived) + ".tmp", "."], check=True)
        os.rename(str(derived) + ".tmp", derived)
    return str(derived)


def build():
    if not shutil.which(QEMU):
        raise ScenarioSkipped(f"{QEMU} is not installed")
    if not Path(os.environ.get("KJUMP_LINUX_TARBALL", "/usr/src/linux-source-6.12.tar.xz")).exists():
        raise ScenarioSkipped("linux-source-6.12 is not installed: no kernels to build")
    t0 = time.monotonic()
    # The Debian bases (debootstrap and apt: the network and the disk)
    # are made while the kernels (the CPU) build.
    bases_error = []

    def make_bases():
        try:
            for tool, extra in DEBIAN_BASES:
                debian_base(tool, extra)
        except Exception as e:  # reported below, in this thread
            bases_error.append(e)
    bases = threading.Thread(target=make_bases)
    bases.start()
    try:
        kernels = build_kernels()
        parts = build_kjump()
    finally:
        bases.join()
    if bases_error:
        raise bases_error[0]
    log(f"build ready in {time.monotonic() - t0:.1f} s: guest kernel {kernels['guest']}, "
        f"helper kernel {kernels['helper']}")
    return kernels, parts


class Initrd:
    """The entries of a newc archive, in order, for tools/mkcpio: parents
    before children, each name once."""

    def __init__(self):
        self.specs = []
        self.names = set()

    def _add(self, name, spec):
        name = "/" + name.strip("/")
        if name in self.names:
            return
        self.names.add(name)
        self.specs.append(spec)

    def dir(self, name, mode=0o755):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            self._add(d, f"dir:{d}:{mode:o}")

    def file(self, name, src, mode=0o644):
        parent = os.path.dirname(name.rstrip("/"))
        if parent not in ("", "/"):
            self.dir(parent)
        self._add(name, f"file:{name}:{mode:o}:{src}")

    def symlink(self, name, target):
        parent = os.path.dirname(name.rstrip("/"))
        if parent not in ("", "/"):
            self.dir(parent)
        self._add(name, f"slink:{name}:{target}")

    def chardev(self, name, major, minor, mode=0o600):
        self._add(name, f"nod:{name}:{mode:o}:{major}:{minor}")

    def binary(self, dest, src):
        """A dynamically linked program with the libraries ldd names."""
        self.file(dest, src, 0o755)
        out = subprocess.run(["ldd", str(src)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True).stdout
        for line in out.splitlines():
            m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if m:
                self.file(m.group(1), os.path.realpath(m.group(1)), 0o755)

    def write(self, mkcpio, out):
        with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
            f.write("\n".join(self.specs) + "\n")
        try:
            subprocess.run([str(mkcpio), str(out), "@" + f.name], check=True)
        finally:
            os.unlink(f.name)


def guest_initrd(parts, kernels, workload, out):
    """The minimal guest: busybox, kexec-tools, kjump and the scenario scripts."""
    staging = Path(out).parent / "guest-initrd-files"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    c = Initrd()
    c.dir("/dev")
    c.chardev("/dev/console", 5, 1)
    for d in ("/proc", "/sys", "/tmp", "/run", "/root", "/etc"):
        c.dir(d)
    c.file("/init", VMDIR / "guest" / "init", 0o755)
    busybox = shutil.which("busybox") or "/bin/busybox"
    c.file("/bin/busybox", busybox, 0o755)
    applets = subprocess.run([busybox, "--list-full"], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.split()
    for a in applets:
        if a != "bin/busybox":
            c.symlink("/" + a, "/bin/busybox")
    c.binary("/usr/sbin/kexec", shutil.which("kexec") or "/usr/sbin/kexec")
    c.binary("/usr/local/bin/kjumpctl", parts["kjumpctl"])
    c.file("/usr/local/bin/kjump-memhog", parts["memhog"], 0o755)
    # Where this build of kjumpctl looks for the helper, as 'meson install' would put it.
    helperdir = re.search(r'#define KJUMP_HELPER_DIR "([^"]+)"',
                          (BUILDDIR / "config.h").read_text()).group(1)
    c.file(f"{helperdir}/helper.bzImage", kernels["helper"])
    c.file(f"{helperdir}/helper.cpio", parts["helper-initrd"])
    c.binary(f"{helperdir}/kjump-resume", parts["kjump-resume"])
    env = staging / "env"
    env.write_text(f"KJUMP_RESUME={helperdir}/kjump-resume\n")
    c.file("/kjump-test/env", env)
    for s in sorted((VMDIR / "guest" / "scenarios").glob("*.sh")):
        c.file(f"/kjump-test/scenarios/{s.name}", s)
    c.file("/kjump-test/workload", Path(workload).resolve(), 0o755)
    c.write(parts["mkcpio"], out)
    shutil.rmtree(staging, ignore_errors=True)
