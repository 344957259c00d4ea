# SPDX-License-Identifier: LGPL-2.1-or-later
"""Screenshots of the guest's display (QMP screendump), kept as PNG files
in the run's directory, and the checks on them: not blank, and changing
as the helper's work progresses."""
import struct
import zlib

from .config import ScenarioFailed
from .console import mark


def read_ppm(path):
    """QEMU's screendump format: binary PPM (P6), 8 bits per channel."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ScenarioFailed(f"screendump: {path.name} is not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ScenarioFailed(f"screendump: {path.name} is truncated")
    return width, height, pixels


def write_png(path, width, height, pixels):
    """An RGB PNG, one unfiltered scanline after another."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\0" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def lit_fraction(pixels):
    """The share of pixels that differ from the most common colour (the
    background): text or a bar drawn on the screen."""
    counts = {}
    for i in range(0, len(pixels), 3 * 7):  # a sample: every 7th pixel
        key = pixels[i:i + 3]
        counts[key] = counts.get(key, 0) + 1
    total = sum(counts.values())
    return (total - max(counts.values())) / total if total else 0.0


def screenshot(rig, con, name):
    """Takes a screenshot now; keeps NAME.png; returns its pixels."""
    ppm = rig.out / f"{name}.ppm"
    con.qmp.command("screendump", filename=str(ppm))
    width, height, pixels = read_ppm(ppm)
    write_png(rig.out / f"{name}.png", width, height, pixels)
    ppm.unlink()
    return pixels


def expect_progress_on_screen(rig, con, what, marks, timeout=1800):
    """At each of MARKS (KJUMP-MARK lines the helper prints as it goes) a
    screenshot, WHAT-1.png, WHAT-2.png...: each must show something, and
    they must not all be the same."""
    shots = []
    for i, pattern in enumerate(marks, 1):
        con.wait_for(mark(pattern), timeout, f"the helper to reach {pattern}")
        pixels = screenshot(rig, con, f"screen-{what}-{i}")
        lit = lit_fraction(pixels)
        if lit < 0.002:
            raise ScenarioFailed(f"the screen is blank while {what} (screen-{what}-{i}.png, {lit:.4f} lit)")
        shots.append(pixels)
    if len(set(shots)) < 2:
        raise ScenarioFailed(f"the screen did not change while {what} (screen-{what}-*.png)")
    rig.facts.setdefault("screenshots", []).extend(f"screen-{what}-{i}.png" for i in range(1, len(marks) + 1))
