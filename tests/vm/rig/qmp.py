# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU's machine protocol, for what a console cannot do: see the guest
enter ACPI S3 (the SUSPEND event) and wake it (system_wakeup), as a user
pressing a key would.

The rig listens and QEMU connects to it (-chardev socket,server=off), so
nothing waits for a socket file to appear: QEMU's connection is accepted
the moment it is made."""
import json
import os
import shutil
import socket
import tempfile
import threading
import time

from .config import TIMEOUT_SCALE, ScenarioFailed


class Qmp:
    def __init__(self):
        # A short path: a unix socket's name is limited to 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="kjump-qmp-")
        self.path = os.path.join(self.dir, "qmp.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.sock = None
        self.cond = threading.Condition()
        self.events = []         # (monotonic time, event name, data)
        self.cursor = 0
        self.replies = {}
        self.next_id = 0
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def qemu_args(self):
        return ["-chardev", f"socket,id=kjump-qmp,path={self.path},server=off",
                "-mon", "chardev=kjump-qmp,mode=control"]

    def _run(self):
        try:
            self.sock, _ = self.listener.accept()
            f = self.sock.makefile("rb")
            self.sock.sendall(b'{"execute": "qmp_capabilities", "id": "caps"}\n')
            for raw in f:
                msg = json.loads(raw)
                with self.cond:
                    if "event" in msg:
                        self.events.append((time.monotonic(), msg["event"], msg.get("data", {})))
                    elif "id" in msg:
                        self.replies[msg["id"]] = msg
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def command(self, name, timeout=60, **arguments):
        with self.cond:
            self.next_id += 1
            cid = f"c{self.next_id}"
        msg = {"execute": name, "id": cid}
        if arguments:
            msg["arguments"] = arguments
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            while self.sock is None or "caps" not in self.replies:
                if self.closed or not self.cond.wait(max(0.0, deadline - time.monotonic())):
                    raise ScenarioFailed(f"QMP: QEMU never connected for {name}")
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        with self.cond:
            while cid not in self.replies:
                if self.closed or not self.cond.wait(max(0.0, deadline - time.monotonic())):
                    raise ScenarioFailed(f"QMP: no answer to {name}")
            reply = self.replies.pop(cid)
        if "error" in reply:
            raise ScenarioFailed(f"QMP {name}: {reply['error'].get('desc')}")
        return reply.get("return")

    def wait_event(self, name, timeout, what=None):
        """Waits for event NAME after the last one waited for; returns its time."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            while True:
                while self.cursor < len(self.events):
                    t, ev, _ = self.events[self.cursor]
                    self.cursor += 1
                    if ev == name:
                        return t
                if self.closed:
                    raise ScenarioFailed(f"QEMU exited before {what or name}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ScenarioFailed(f"timed out after {timeout * TIMEOUT_SCALE:.0f} s waiting for {what or name}")
                self.cond.wait(left)

    def close(self):
        for s in (self.sock, self.listener):
            if s:
                try:
                    s.close()
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
