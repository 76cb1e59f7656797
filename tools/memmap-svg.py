#!/usr/bin/python3
"""memmap-svg.py - draw a physical memory map to SVG.

  tools/memmap-svg.py [-o out.svg] [--title T] [file]      (stdin without a file)
  build/tools/memmap --svg [-o out.svg] [dmesg-file]       (the same, from the C tool)

The map, zones and NUMA nodes come from build/tools/memmap --machine: the one
parser of firmware tables (tests/host/lib/memmap_text.c), so the picture and
the text tool always agree. Input is whatever that tool reads (a whole Linux
dmesg, journal or syslog file, a Labyrinth serial log) or its --machine output.
From a Labyrinth log this script adds only what the firmware table cannot
say: the kernel image ("boot: kernel image [mem ...]") and the Labyrinth pool
(any line that says "pool" and has a [mem ...] range; one line per range).

The address axis is piecewise: every range between two consecutive addresses
the map mentions gets a width that grows with its size to the power 0.3, and
holes (no map entry at all) get one fixed modest width, so a 4 KiB reserved
page and a 1 TiB hole are both visible and neither dominates.
The true addresses are printed at the boundaries. No third-party modules.
"""
import argparse
import os
import re
import subprocess
import sys
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MACHINE_HEADER = "# tools/memmap --machine"
MEM = r"\[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]"
COLORS = {"usable": "#7fc97f", "kernel": "#386cb0", "reserved": "#bdbdbd",
          "ACPI data": "#fdc086", "ACPI NVS": "#f0a050", "unusable": "#e0605a",
          "hole": "#ffffff", "other": "#beaed4"}
ZONE_COLORS = {"DMA": "#fbb4ae", "DMA32": "#b3cde3", "Normal": "#ccebc5"}
NODE_COLORS = ["#8dd3c7", "#fb8072", "#80b1d3", "#fdb462", "#bebada", "#b3de69",
               "#fccde5", "#d9d9d9"]


def machine_output(text):
    """The C tool's --machine records for text (a log, or already records)."""
    if text.startswith(MACHINE_HEADER):
        return text
    tool = os.environ.get("MEMMAP", os.path.join(ROOT, "build", "tools", "memmap"))
    if not os.access(tool, os.X_OK):
        sys.exit("memmap-svg: %s is missing: run `make tools` first" % tool)
    r = subprocess.run([tool, "--machine"], input=text, capture_output=True, text=True)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        sys.exit(r.returncode)
    return r.stdout


def parse_machine(out):
    entries, zones, nodes = [], [], {}
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "entry":
            entries.append((int(f[1], 16), int(f[2], 16) + 1, f[3]))
        elif f[0] == "zone":
            zones.append((f[1], int(f[2], 16), int(f[3], 16) + 1))
        elif f[0] == "node":
            s, e = int(f[2], 16), int(f[3], 16) + 1
            lo, hi = nodes.get(int(f[1]), (s, e))
            nodes[int(f[1])] = (min(lo, s), max(hi, e))
    return entries, zones, sorted((n, s, e) for n, (s, e) in nodes.items())


def labyrinth_marks(text):
    """The kernel image and pool ranges a Labyrinth serial log prints."""
    kernel, pool = None, []
    for line in text.splitlines():
        m = re.search(MEM, line)
        if not m:
            continue
        r = (int(m.group(1), 16), int(m.group(2), 16) + 1)
        if re.search(r"\bpool\b", line, re.I):
            pool.append(r)
        elif "boot: kernel image" in line:
            kernel = r
    return kernel, pool


def human(n):
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            v = n / (1 << shift)
            return ("%.0f %s" if v == int(v) else "%.1f %s") % (v, unit)
    return "%d B" % n


def build_axis(points, width, covered):
    """Piecewise scale: an interval between two consecutive addresses gets a
    width ~ size^0.3 (a 4 KiB page stays visible, 3 GiB is not 750000 times
    wider); holes (covered by no map entry) get one fixed, modest width."""
    pts = sorted(set(points))
    weights = []
    for a, b in zip(pts, pts[1:]):
        weights.append(float(b - a) ** 0.3 if covered(a, b) else None)
    real = sorted(w for w in weights if w is not None) or [1.0]
    hole_w = real[len(real) // 2] * 0.8
    weights = [hole_w if w is None else w for w in weights]
    total = sum(weights) or 1.0
    xs, x = [0.0], 0.0
    for w in weights:
        x += w * width / total
        xs.append(x)

    def to_x(addr):
        for i in range(len(pts) - 1):
            if pts[i] <= addr <= pts[i + 1]:
                a, b = pts[i], pts[i + 1]
                frac = 0 if b == a else (addr - a) / (b - a)
                return xs[i] + frac * (xs[i + 1] - xs[i])
        return xs[0] if addr < pts[0] else xs[-1]
    return pts, to_x


LABEL_CHAR_W = 7  # px per character of an 11 px label (a generous estimate)


def mark_lanes(marks, to_x):
    """[(range, name, color, label text, lane)]: each label goes on the first
    line (lane) below the marks where it overlaps no label already there, so
    close ranges (the kernel image and the pool's DMA page, the pool's two
    stacks) keep readable labels."""
    out, ends = [], []  # ends[lane] = right end (px) of that lane's last label
    for r, name, color in sorted(marks, key=lambda m: m[0][0]):
        text = "%s %s" % (name, human(r[1] - r[0]))
        x0 = to_x(r[0])
        lane = next((i for i, e in enumerate(ends) if x0 >= e + 6), len(ends))
        if lane == len(ends):
            ends.append(0.0)
        ends[lane] = x0 + LABEL_CHAR_W * len(text)
        out.append((r, name, color, text, lane))
    return out


def render(entries, zones, nodes, kernel, pool, title):
    W, L, T = 1200, 40, 70
    points = [p for s, e, _ in entries for p in (s, e)] + \
        [p for _, s, e in zones for p in (s, e)] + [p for _, s, e in nodes for p in (s, e)]
    for r in [kernel] + pool:
        if r:
            points += list(r)

    def covered(a, b):
        return any(s <= a and b <= e for s, e, _ in entries)
    pts, to_x = build_axis(points, W, covered)
    marks = mark_lanes([(r, name, color) for r, name, color in
                        [(kernel, "kernel image", "#386cb0")] +
                        [(r, "Labyrinth pool", "#d95f02") for r in pool] if r], to_x)
    lanes = max([m[4] for m in marks] + [0]) + 1
    rows, y = {}, T
    for name, height in (("map", 36), ("zones", 30), ("nodes", 30), ("marks", 22)):
        if (name == "nodes" and len(nodes) < 2) or (name == "marks" and not kernel and not pool):
            continue
        rows[name] = y
        y += height + 24 + (14 * lanes if name == "marks" else 0)
    ybase = y - 10
    H = ybase + 130
    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">' % (W + 3 * L, H))
    o.append('<rect width="100%" height="100%" fill="white"/>')
    o.append('<defs><pattern id="hole" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
             'stroke="#ccc" stroke-width="2"/></pattern></defs>')
    o.append('<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>'
             % (L, escape(title)))
    ram = sum(e - s for s, e, t in entries if t == "usable")
    held = sum(e - s for s, e, t in entries if t == "kernel")
    o.append('<text x="%d" y="44">usable %s, kernel-held %s, %d map entries%s; the address '
             'axis is piecewise (width ~ size^0.3, holes compressed; true addresses at the '
             'boundaries)</text>' % (L, human(ram), human(held), len(entries),
                                     ", %d NUMA nodes" % len(nodes) if len(nodes) > 1 else ""))

    def box(x0, x1, y, h, fill, label=None, tip=None, stroke="#333", short=None):
        o.append('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
                 'fill="%s" stroke="%s" stroke-width="0.5"/>' % (escape(tip or label or ""),
                                                              L + x0, y, max(x1 - x0, 0.5), h,
                                                              fill, stroke))
        if label and x1 - x0 <= 7 * len(label):
            label = short  # the short form, if it fits
        if label and x1 - x0 > 7 * len(label):
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (L + (x0 + x1) / 2, y + h / 2 + 4, escape(label)))
        o.append('</g>')

    def row_title(name, text):
        o.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (L, rows[name] - 6, text))

    # Row 1: the map, holes included.
    y = rows["map"]
    row_title("map", "memory map")
    cur = pts[0]
    for s, e, t in sorted(entries):
        if s > cur:
            box(to_x(cur), to_x(s), y, 36, "url(#hole)", "hole",
                "hole [%#x-%#x] %s" % (cur, s - 1, human(s - cur)))
        kind = t if t in COLORS else "other"
        box(to_x(s), to_x(e), y, 36, COLORS[kind], t if t in ("usable", "reserved") else None,
            "[mem %#018x-%#018x] %s (%s)" % (s, e - 1, t, human(e - s)))
        cur = max(cur, e)
    # Row 2: zones.
    row_title("zones", "zones")
    for name, s, e in zones:
        box(to_x(s), to_x(e), rows["zones"], 30, ZONE_COLORS.get(name, "#eeeeee"),
            "ZONE_" + name.upper(), "%s [mem %#x-%#x] %s" % (name, s, e - 1, human(e - s)),
            short=name)
    # Row 3: NUMA nodes (span of each node's memory), when the log names two or more.
    if "nodes" in rows:
        row_title("nodes", "NUMA nodes")
        for nid, s, e in nodes:
            box(to_x(s), to_x(e), rows["nodes"], 30, NODE_COLORS[nid % len(NODE_COLORS)],
                "node %d" % nid, "node %d [mem %#x-%#x] %s" % (nid, s, e - 1, human(e - s)),
                short=str(nid))
    # Row 4: kernel image and the Labyrinth pool (a Labyrinth log only).
    if "marks" in rows:
        y = rows["marks"]
        row_title("marks", "kernel image, Labyrinth pool")
        for r, name, color, text, lane in marks:
            x0, x1 = to_x(r[0]), to_x(r[1])
            box(x0, max(x1, x0 + 3), y, 22, color, None,
                "%s [mem %#x-%#x] %s" % (name, r[0], r[1] - 1, human(r[1] - r[0])))
            o.append('<text x="%.1f" y="%d">%s</text>' % (L + x0, y + 36 + 14 * lane,
                                                          escape(text)))
        if not pool:
            o.append('<text x="%d" y="%d" fill="#888">(no pool range in this input)</text>'
                     % (L + W - 220, y + 36))
    # Boundary ticks and addresses, skipping labels that would collide.
    last = -100.0
    for p in pts:
        x = to_x(p)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999" stroke-width="0.5"/>'
                 % (L + x, rows["map"], L + x, ybase))
        if x - last >= 12:
            o.append('<text transform="translate(%.1f,%d) rotate(60)" font-size="10" '
                     'font-family="DejaVu Sans Mono, monospace">%#x</text>' % (L + x - 3,
                                                                            ybase + 4, p))
            last = x
    # Legend.
    ly, lx = H - 24, L
    for name in ("usable", "kernel", "reserved", "ACPI data", "ACPI NVS", "unusable", "hole"):
        fill = "url(#hole)" if name == "hole" else COLORS[name]
        o.append('<rect x="%d" y="%d" width="14" height="12" fill="%s" stroke="#333" '
                 'stroke-width="0.5"/><text x="%d" y="%d">%s</text>' % (lx, ly, fill, lx + 18,
                                                                      ly + 10, name))
        lx += 30 + 7 * len(name)
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="input (default: stdin)")
    ap.add_argument("-o", "--output", help="SVG file (default: stdout)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    if args.file:
        with open(args.file, errors="replace") as f:
            text = f.read()
    else:
        text = sys.stdin.read()
    entries, zones, nodes = parse_machine(machine_output(text))
    kernel, pool = labyrinth_marks(text)
    title = args.title or "Physical memory map (the firmware's table, as Labyrinth normalizes it)"
    svg = render(entries, zones, nodes, kernel, pool, title)
    if args.output:
        with open(args.output, "w") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)


if __name__ == "__main__":
    main()
