# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rig: one scenario's guests, their disks and what they showed."""
import http.server
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .build import guest_initrd, qemu_backports
from .config import ACCEL, QEMU, ScenarioFailed
from .console import Console
from .debian import build_debian_guest
from .qmp import Qmp


class Rig:
    def __init__(self, args, kernels, parts, out):
        self.args = args
        self.kernels = kernels
        self.parts = parts
        self.out = out
        self.runs = 0
        self.consoles = []
        self.timings = {}
        self.facts = {}
        self.timeline = []   # (monotonic time, what)
        self.debian_root = "/dev/vda"  # root= of the Debian guest (an encrypted root: its mapper device)
        self.swtpms = []
        self.initrd = out / "guest.cpio"
        guest_initrd(parts, kernels, args.workload, self.initrd)
        self.disks = False
        self.faults = {}
        self.qmps = []
        self.x2apic_qemu = None

    def with_x2apic(self):
        """The guests run on QEMU's q35 with an intel-iommu that remaps
        interrupts (in x2APIC mode: eim) and translates DMA, the virtio
        devices behind it (iommu_platform): A's kernel runs its APIC in
        x2APIC mode, as on most real machines. Bookworm's QEMU cannot do
        this under TCG; the one from bookworm-backports can."""
        self.x2apic_qemu = qemu_backports()

    def with_disks(self):
        if not self.disks:
            self.make_disks()
            self.http_port = self.start_http()
            self.disks = True

    def make_disks(self):
        """vda: an ext4 file system for file targets; vdb: a GPT disk whose
        one partition is a raw target. Both sparse, sized from the RAM."""
        mem = self.args.mem
        self.ext4 = self.out / "ext4.img"
        with open(self.ext4, "wb") as f:
            f.truncate((mem + 384) << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "kjump-test", str(self.ext4)], check=True)
        self.raw = self.out / "raw.img"
        part_mib = mem + 64
        with open(self.raw, "wb") as f:
            f.truncate((part_mib + 2) << 20)
        self.partuuid = "6b6a756d-7000-4000-8000-00000000%04x" % (mem % 0x10000)
        self.part_offset = 1 << 20
        self.part_size = part_mib << 20
        subprocess.run(["sfdisk", "-q", str(self.raw)], check=True, text=True,
                       input=f"label: gpt\nstart=2048, size={part_mib * 2048}, uuid={self.partuuid}\n")

    def start_http(self):
        """Answers the guest's network check: QEMU's user network maps
        10.0.2.2 to this machine's loopback."""
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"kjump-network-ok"
                self.send_response(200 if self.path == "/token" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self.http.server_address[1]

    def mark(self, t, what):
        self.timeline.append((t, what))

    def with_debian(self, initrd_tool="initramfs-tools", package=None, extra_packages=(), extra_disk_mib=0):
        """The Debian guest's disk; EXTRA_PACKAGES installed in it (lvm2),
        and a second, empty disk of EXTRA_DISK_MIB (vdb) when asked."""
        if getattr(self, "debian_disk", None):
            return
        root, self.debian_initrd = build_debian_guest(self.kernels, self.out, self.args.workload, initrd_tool,
                                                      package, extra_packages)
        if extra_disk_mib:
            self.debian_extra_disk = self.out / "extra.img"
            with open(self.debian_extra_disk, "wb") as f:
                f.truncate(extra_disk_mib << 20)
        self.debian_disk = self.out / "debian.img"
        size_mib = 1536 + 2 * self.args.mem
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "kjump-root", "-d", str(root), str(self.debian_disk),
                        f"{size_mib}M"], check=True)
        shutil.rmtree(root, ignore_errors=True)
        self.http_port = self.start_http()

    def boot_debian(self, scenario, extra_cmdline="", s3=False, qmp=False, stop_at_power_off=False):
        """Boots the Debian guest: its own initramfs (initramfs-tools with
        kjump's hook), systemd, kjumpd, and the test runner."""
        return self.boot(scenario, extra_cmdline, debian=True, s3=s3, qmp=qmp, stop_at_power_off=stop_at_power_off)

    def boot(self, scenario, extra_cmdline="", debian=False, s3=False, qmp=False, screen=False,
             stop_at_power_off=False):
        """Starts QEMU. S3: the firmware offers ACPI S3 (suspend to RAM).
        QMP (S3 implies it): the console's .qmp sees the guest suspend,
        wakes it and presses keys. SCREEN (implies QMP): a VGA display
        for screenshots (rig/screen.py). STOP_AT_POWER_OFF (implies QMP):
        at the guest's power off QEMU stops (SHUTDOWN event) instead of
        exiting, so the rig can still ask it (its disks' counters); the
        rig then ends it (quit)."""
        self.runs += 1
        logpath = self.out / f"console-{self.runs}.log"
        # Only warnings and worse from the kernels: their messages would
        # otherwise interleave with the guest's own lines on the one console.
        loglevel = os.environ.get("KJUMP_VM_LOGLEVEL", "4")
        # no_console_suspend: the console stays on across the jump, so a
        # kernel that dies before its devices are resumed says why (a
        # suspended console would keep its last words, and panic=-1
        # would end QEMU without a line).
        cmdline = (f"console=ttyS0 no_console_suspend loglevel={loglevel} panic=-1 kjump.scenario={scenario} "
                   f"{extra_cmdline}").strip()
        if self.disks and not debian:
            cmdline += (f" kjump.target={self.args.target} kjump.partuuid={self.partuuid}"
                        f" kjump.http={self.http_port}")
        self._ndisks = 0
        if self.x2apic_qemu:
            share = self.x2apic_qemu / "usr" / "share"
            machine = [str(self.x2apic_qemu / "usr" / "bin" / "qemu-system-x86_64"),
                       "-L", str(share / "qemu"), "-L", str(share / "seabios"),
                       "-accel", ACCEL, "-cpu", "max,+x2apic", "-machine", "q35",
                       "-device", "intel-iommu,intremap=on,eim=on"]
        else:
            machine = [QEMU, "-accel", ACCEL, "-cpu", "max", "-machine", "pc"]
        cmd = [*machine,
               "-m", str(self.args.mem), "-smp", "2", "-nodefaults", "-display", "none",
               "-no-reboot", "-serial", "stdio", "-kernel", str(self.kernels["guest"]),
               # Every CPU reset with the state before it (a triple fault
               # shows where it happened), and what the guest did wrong.
               "-d", "cpu_reset,guest_errors", "-D", str(self.out / f"qemu-{self.runs}.log")]
        if debian:
            cmdline = (f"root={self.debian_root} rw systemd.show_status=0 kjump.http={self.http_port} " + cmdline)
            cmd += ["-initrd", str(self.debian_initrd), "-append", cmdline,
                    *self.virtio_disk(self.debian_disk),
                    *(self.virtio_disk(self.debian_extra_disk) if getattr(self, "debian_extra_disk", None) else []),
                    *self.virtio_nic()]
        else:
            cmd += ["-initrd", str(self.initrd), "-append", cmdline]
        if self.disks and not debian:
            for img in (self.ext4, self.raw) + ((self.swap,) if getattr(self, "swap", None) else ()):
                conf = self.faults.get(Path(img).name)
                # blkdebug between the guest and the image: I/O errors where
                # inject_io_error() said.
                path = f"blkdebug:{conf}:{img}" if conf else str(img)
                cmd += self.virtio_disk(path)
            cmd += self.virtio_nic()
        # QEMU's pc machine offers ACPI S3 by default; most guests here are
        # a machine without it (modern laptops have suspend-to-idle only),
        # on which kjump must not offer hybrid sleep.
        pm = "ICH9-LPC" if self.x2apic_qemu else "PIIX4_PM"
        cmd += ["-global", f"{pm}.disable_s3={0 if s3 else 1}"]
        if screen:
            cmd += ["-vga", "std"]
        if stop_at_power_off:
            cmd += ["-no-shutdown"]
        if getattr(self, "tpm_dir", None):
            cmd += self.start_swtpm()
        qmp = Qmp() if s3 or qmp or screen or stop_at_power_off else None
        if qmp:
            self.qmps.append(qmp)
            cmd += qmp.qemu_args()
        (self.out / f"qemu-{self.runs}.cmd").write_text(" ".join(cmd) + "\n")
        # stdin: the serial console's input (Console.type()).
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        con = Console(proc, logpath)
        con.qmp = qmp
        con.start = time.monotonic()
        self.mark(con.start, f"power on (QEMU run {self.runs}, {self.args.mem} MiB)")
        self.consoles.append(con)
        return con

    def virtio_disk(self, path):
        """A virtio disk: behind the IOMMU on the x2APIC machine (a modern
        virtio device that asks for DMA translation)."""
        if not self.x2apic_qemu:
            return ["-drive", f"file={path},format=raw,if=virtio,cache=unsafe"]
        n = self._ndisks
        self._ndisks += 1
        return ["-drive", f"file={path},format=raw,if=none,id=disk{n},cache=unsafe",
                "-device", f"virtio-blk-pci,drive=disk{n},disable-legacy=on,iommu_platform=on"]

    def virtio_nic(self):
        if not self.x2apic_qemu:
            return ["-nic", "user,model=virtio-net-pci"]
        # No option ROM: the guests boot with -kernel, not from the network.
        return ["-netdev", "user,id=net0",
                "-device", "virtio-net-pci,netdev=net0,romfile=,disable-legacy=on,iommu_platform=on"]

    def require_target(self, kind):
        """The scenario works on KIND of target only (it writes into that disk)."""
        if self.args.target != kind:
            raise ScenarioFailed(f"this scenario needs --target {kind}")

    def inject_io_error(self, image, event, offset):
        """From the next boot on, every EVENT ("read_aio", "write_aio") that
        touches byte OFFSET of IMAGE (a disk image's file name) fails with
        EIO, through QEMU's blkdebug driver."""
        conf = self.out / f"blkdebug-{image}.conf"
        conf.write_text(f'[inject-error]\nevent = "{event}"\nerrno = "5"\nsector = "{offset // 512}"\n')
        self.faults[image] = conf
        self.facts.setdefault("io_errors", []).append({"image": image, "event": event, "offset": offset})

    def clear_io_errors(self):
        self.faults = {}

    def check_filesystems(self):
        """Every guest file system checks clean, read-only, from the host,
        after the guest shut down: a scenario that writes to a guest disk
        must never leave it damaged."""
        results = {}
        for img in (getattr(self, "ext4", None), getattr(self, "debian_disk", None)):
            if img is None or not Path(img).exists():
                continue
            res = subprocess.run(["e2fsck", "-fn", str(img)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            results[Path(img).name] = res.returncode
            if res.returncode != 0:
                raise ScenarioFailed(f"e2fsck -fn {Path(img).name} after the scenario: exit {res.returncode}: "
                                     + " | ".join(res.stdout.strip().splitlines()[-4:]))
        self.facts["fsck"] = results

    def with_tpm(self):
        """From the next boot on, the guest has a TPM 2.0: swtpm, QEMU's
        tpm-tis device, its state kept across boots as a TPM keeps it."""
        self.tpm_dir = self.out / "swtpm"
        self.tpm_dir.mkdir(exist_ok=True)

    def start_swtpm(self):
        """A swtpm for one QEMU run (it ends when QEMU lets go of it);
        returns QEMU's arguments for it."""
        sock = self.tpm_dir / "swtpm.sock"
        if sock.exists():
            sock.unlink()
        log = open(self.out / f"swtpm-{self.runs}.log", "w")
        proc = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.tpm_dir}",
                                 "--ctrl", f"type=unixio,path={sock}", "--terminate"],
                                stdout=log, stderr=subprocess.STDOUT)
        self.swtpms.append(proc)
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ScenarioFailed(f"swtpm did not start (see swtpm-{self.runs}.log)")
            time.sleep(0.05)
        return ["-chardev", f"socket,id=chrtpm,path={sock}", "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
                "-device", "tpm-tis,tpmdev=tpm0"]

    def shutdown(self):
        for p in getattr(self, "swtpms", []):
            if p.poll() is None:
                p.terminate()
                p.wait()
        for c in self.consoles:
            c.kill()
        for q in self.qmps:
            q.close()
        if getattr(self, "http", None):
            self.http.shutdown()
