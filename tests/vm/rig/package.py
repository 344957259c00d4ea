# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian package, built from the tree as a user would build it
(dpkg-buildpackage, debian/), checked with lintian, and cached by a hash
of every file of the tree it was built from."""
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .config import CACHE, REPO, ScenarioFailed, log


def tree_files():
    """The files of the tree: tracked ones and new ones not ignored."""
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, stdout=subprocess.PIPE).stdout
    return sorted(p for p in out.decode().split("\0") if p and (REPO / p).is_file())


def build_deb(out):
    """Returns the path of kjump's .deb; the build's and lintian's output
    are kept in OUT."""
    files = tree_files()
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0" + (REPO / f).read_bytes() + b"\0")
    key = h.hexdigest()[:16]
    cached = CACHE / f"deb-{key}"
    if (cached / ".done").exists():
        debs = sorted(cached.glob("kjump_*_amd64.deb"))
        shutil.copy(cached / "lintian.log", out / "lintian.log")
        log(f"package: cached {debs[0]}")
        return debs[0]
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        src = Path(tmp) / "kjump"
        for f in files:
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, src / f)
        env = dict(os.environ, KJUMP_CACHE=str(CACHE), DEB_BUILD_OPTIONS=f"parallel={os.cpu_count() or 2}")
        log("package: dpkg-buildpackage -b (the helper kernel from the kernel cache)")
        with open(out / "dpkg-buildpackage.log", "w") as logf:
            res = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                                 stdout=logf, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            tail = (out / "dpkg-buildpackage.log").read_text(errors="replace").splitlines()[-15:]
            raise ScenarioFailed("dpkg-buildpackage failed: " + " | ".join(tail))
        changes = sorted(Path(tmp).glob("kjump_*_amd64.changes"))
        debs = sorted(Path(tmp).glob("kjump_*_amd64.deb"))
        if not changes or len(debs) != 1:
            raise ScenarioFailed(f"dpkg-buildpackage made {[d.name for d in debs]}, not one kjump .deb")
        # Errors and warnings fail; informational tags are kept in the log.
        res = subprocess.run(["lintian", "--fail-on", "error,warning", "--info", str(changes[0])],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        (out / "lintian.log").write_text(res.stdout)
        if res.returncode != 0:
            bad = [l for l in res.stdout.splitlines() if l[:2] in ("E:", "W:")]
            raise ScenarioFailed("lintian: " + " | ".join(bad[:8] or res.stdout.splitlines()[-5:]))
        staging = CACHE / f"deb-{key}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        shutil.copy(debs[0], staging)
        shutil.copy(out / "lintian.log", staging)
        (staging / ".done").touch()
        shutil.rmtree(cached, ignore_errors=True)
        staging.rename(cached)
    log(f"package: built {cached / debs[0].name}")
    return cached / debs[0].name
