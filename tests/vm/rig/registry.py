# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every scenario is registered once, here, by the @scenario decorator of
the module that holds it: 'kjump-vm list', tests/run-all (through
'kjump-vm list --ci') and meson's 'vm' suite all read this one table."""
from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    run: object
    doc: str
    # The runs the test command makes: dicts of mem (MiB), target
    # (file|partition), workload (a path relative to the repository).
    ci: list = field(default_factory=list)
    # For docs/reliability.md: what must happen (a fault or misuse case).
    expect: str = ""


SCENARIOS = {}


def scenario(name, doc, ci=({},), expect=""):
    def register(fn):
        if name in SCENARIOS:
            raise RuntimeError(f"scenario {name} registered twice")
        SCENARIOS[name] = Scenario(name, fn, doc, [dict(c) for c in ci], expect)
        return fn
    return register
