# SPDX-License-Identifier: LGPL-2.1-or-later
"""A QEMU serial console: every line stamped on arrival, waited on with
deadlines that fail with the guest's log, never on fixed sleeps."""
import os
import re
import subprocess
import threading
import time

from .config import TIMEOUT_SCALE, ScenarioFailed

# What the guest's kernels say when they die.
KERNEL_DEATH = re.compile(r"Kernel panic|BUG: |general protection fault|Oops: ")


def mark(name):
    """The pattern of a KJUMP-MARK line (common/log.h): NAME, then its
    key=value fields, which the match's groupdict() does not hold: use
    fields()."""
    return rf"KJUMP-MARK {re.escape(name)}(?: (?P<fields>.*))?$"


def fields(match):
    """The key=value fields of a KJUMP-MARK match, as a dict of strings."""
    text = match.groupdict().get("fields") or ""
    return dict(f.split("=", 1) for f in text.split() if "=" in f)


class Console:
    """Lines from a QEMU serial console, each stamped on arrival."""

    def __init__(self, proc, logpath):
        self.proc = proc
        self.lines = []          # (monotonic time, text)
        self.cursor = 0
        self.cond = threading.Condition()
        self.eof = False
        self.partial = ""        # a line still being written (a prompt waits without its newline)
        self.logfile = open(logpath, "w", buffering=1)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        pending = b""
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            pending += data
            t = time.monotonic()
            *complete, pending = pending.split(b"\n")
            with self.cond:
                for raw in complete:
                    text = raw.decode(errors="replace").rstrip("\r")
                    self.logfile.write(f"[{t:.3f}] {text}\n")
                    self.lines.append((t, text))
                self.partial = pending.decode(errors="replace")
                self.cond.notify_all()
        with self.cond:
            if pending:
                text = pending.decode(errors="replace").rstrip("\r")
                self.logfile.write(f"[{time.monotonic():.3f}] {text}\n")
                self.lines.append((time.monotonic(), text))
            self.partial = ""
            self.eof = True
            self.cond.notify_all()

    def wait_for_prompt(self, pattern, timeout, what=None):
        """Waits until the line being written (a prompt, which has no
        newline yet) matches PATTERN; complete lines are consumed as
        wait_for() does, failures included. Returns the time."""
        rx = re.compile(pattern)
        return self._wait(timeout, what or pattern, lambda t, text: None,
                          lambda partial: time.monotonic() if rx.search(partial) else None)

    def type(self, text):
        """Types TEXT at the guest's serial console."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    @staticmethod
    def _raise_if_failed(text):
        """A console line that ends the scenario: the guest's FAIL, or its
        kernel dying."""
        r = re.search(r"KJUMP-RESULT FAIL (.*)", text)
        if r:
            raise ScenarioFailed(f"guest: {r.group(1)}")
        if KERNEL_DEATH.search(text):
            raise ScenarioFailed(f"guest kernel: {text.strip()}")

    def wait_for(self, pattern, timeout, what=None):
        """Waits for a line matching PATTERN after the cursor; returns (time, match)."""
        rx = re.compile(pattern)

        def on_line(t, text):
            m = rx.search(text)
            return (t, m) if m else None
        return self._wait(timeout, what or pattern, on_line)

    def _wait(self, timeout, what, on_line, on_partial=None):
        """Consumes lines after the cursor until ON_LINE(time, text) (or
        ON_PARTIAL(the line being written)) returns something, which it
        returns; a failing guest, QEMU's exit or the timeout raise."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            while True:
                while self.cursor < len(self.lines):
                    t, text = self.lines[self.cursor]
                    self.cursor += 1
                    got = on_line(t, text)
                    if got is not None:
                        return got
                    self._raise_if_failed(text)
                if on_partial:
                    got = on_partial(self.partial)
                    if got is not None:
                        return got
                if self.eof:
                    raise ScenarioFailed(f"QEMU exited before {what!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ScenarioFailed(f"timed out after {timeout * TIMEOUT_SCALE:.0f} s waiting for {what!r}")
                self.cond.wait(left)

    def wait_qmp_event(self, name, timeout, what=None):
        """Waits for QMP event NAME (the console's .qmp); when QEMU exits
        instead, the guest's own reason, if it gave one, is the failure."""
        try:
            return self.qmp.wait_event(name, timeout, what)
        except ScenarioFailed:
            for pattern, prefix in ((r"KJUMP-RESULT FAIL (.*)", "guest: "), (KERNEL_DEATH.pattern, "guest kernel: ")):
                said = self.lines_matching(pattern)
                if said:
                    raise ScenarioFailed(prefix + re.search(pattern, said[0]).group(0).replace("KJUMP-RESULT FAIL ", ""))
            raise

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout * TIMEOUT_SCALE)
        except subprocess.TimeoutExpired:
            raise ScenarioFailed(f"QEMU did not exit within {timeout * TIMEOUT_SCALE:.0f} s")
        self.thread.join(10)
        self.logfile.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(10)
        self.logfile.close()

    def tail(self, n=40):
        with self.cond:
            return [text for _, text in self.lines[-n:]]

    def lines_matching(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return [text for _, text in self.lines if rx.search(text)]
