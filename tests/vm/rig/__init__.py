# SPDX-License-Identifier: LGPL-2.1-or-later
"""The QEMU rig that proves kjump against real kernels.

  config.py     paths, QEMU, deadlines
  build.py      kernels, kjump, the minimal guest's initrd (tools/mkcpio)
  debian.py     the Debian 12 guest with systemd
  console.py    a QEMU serial console, lines stamped on arrival
  machine.py    Rig: one scenario's guests, disks and findings
  registry.py   @scenario: every scenario registered once, with its CI runs
  scenarios/    one module per family of scenarios
"""
