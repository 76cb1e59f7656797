#!/usr/bin/python3
"""memmap-svg.py - draw a physical memory map to SVG.

  tools/memmap-svg.py [-o out.svg] [--title T] [file ...]     (stdin without files)
  build/tools/memmap --svg [-o out.svg] [dmesg-file]          (the C tool runs this)

Reads any of:
  - a Labyrinth serial log: the normalized map ("mm: memmap: [mem ...] type"),
    "Zone ranges:", the kernel image ("boot: kernel image [mem ...]"), and the
    Labyrinth pool once the kernel prints its range (any line that says "pool"
    and has a [mem ...] range, e.g. "labyrinth: pool [mem 0x...-0x...] ...";
    one line per range: the pool is a stack of single pages, so the kernel
    would print the runs it holds - today it prints only a count);
  - tools/memmap's output ("labyrinth: [mem ...] type" and its zone lines);
  - a Linux dmesg ("BIOS-e820: [mem ...] type"), used only when no normalized
    map is present; zones then follow the x86_64 boundaries (16 MiB, 4 GiB).
Timestamps ("[    0.001] ") are ignored.

The address axis is piecewise: every range between two consecutive addresses
the map mentions gets a width that grows with its size to the power 0.3, and
holes (no map entry at all) get one fixed modest width, so a 4 KiB reserved
page and a 1 TiB hole are both visible and neither dominates.
The true addresses are printed at the boundaries. No third-party modules.
"""
import argparse
import re
import sys
from xml.sax.saxutils import escape

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
MEM = r"\[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]"
COLORS = {"usable": "#7fc97f", "kernel": "#386cb0", "reserved": "#bdbdbd",
          "ACPI data": "#fdc086", "ACPI NVS": "#f0a050", "unusable": "#e0605a",
          "hole": "#ffffff", "other": "#beaed4"}
ZONE_COLORS = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc"]


def parse(text):
    norm, raw, zones, kernel, pool = [], [], [], None, []
    in_zones = False
    for line in text.splitlines():
        line = TS.sub("", line.rstrip("\r\n"))
        m = re.search(MEM + r"\s*(.*)$", line)
        if line.startswith("Zone ranges:"):
            in_zones = True
            continue
        if in_zones:
            z = re.match(r"^\s+(\w+)\s+" + MEM, line)
            if z:
                zones.append((z.group(1), int(z.group(2), 16), int(z.group(3), 16) + 1))
                continue
            if re.match(r"^\s+\w+\s+empty", line):
                continue
            in_zones = False
        if not m:
            continue
        start, end, rest = int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3).strip()
        if end <= start:
            continue
        if re.search(r"\bpool\b", line, re.I):
            pool.append((start, end))
        elif "kernel image" in line:
            kernel = (start, end)
        elif line.startswith("mm: memmap: [mem") or line.startswith("labyrinth: [mem"):
            norm.append((start, end, rest))
        elif "BIOS-e820:" in line:
            raw.append((start, end, rest))
    entries = norm or raw
    if not zones and entries:
        ram = [(s, e) for s, e, t in entries if t == "usable"]
        if ram:
            lo, hi = min(s for s, _ in ram), max(e for _, e in ram)
            for name, zs, ze in (("DMA", 0, 16 << 20), ("DMA32", 16 << 20, 4 << 30),
                                 ("Normal", 4 << 30, 1 << 64)):
                s, e = max(lo, zs), min(hi, ze)
                if s < e:
                    zones.append((name, s, e))
    return entries, zones, kernel, pool, bool(norm)


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


def render(entries, zones, kernel, pool, title):
    W, L, T = 1200, 40, 70
    points = [p for s, e, _ in entries for p in (s, e)] + \
        [p for _, s, e in zones for p in (s, e)]
    for r in [kernel] + pool:
        if r:
            points += list(r)
    def covered(a, b):
        return any(s <= a and b <= e for s, e, _ in entries)
    pts, to_x = build_axis(points, W, covered)
    rows = {"map": T, "zones": T + 60, "marks": T + 110}
    H = T + 150 + 100
    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">' % (W + 2 * L, H))
    o.append('<rect width="100%" height="100%" fill="white"/>')
    o.append('<defs><pattern id="hole" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
             'stroke="#ccc" stroke-width="2"/></pattern></defs>')
    o.append('<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>'
             % (L, escape(title)))
    ram = sum(e - s for s, e, t in entries if t == "usable")
    held = sum(e - s for s, e, t in entries if t == "kernel")
    o.append('<text x="%d" y="44">usable %s, kernel-held %s, %d map entries; the address axis '
             'is piecewise (width ~ size^0.3, holes compressed; true addresses at the boundaries)</text>'
             % (L, human(ram), human(held), len(entries)))

    def box(x0, x1, y, h, fill, label=None, tip=None, stroke="#333"):
        o.append('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
                 'fill="%s" stroke="%s" stroke-width="0.5"/>' % (escape(tip or label or ""),
                                                              L + x0, y, max(x1 - x0, 0.5), h,
                                                              fill, stroke))
        if label and x1 - x0 > 7 * len(label):
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (L + (x0 + x1) / 2, y + h / 2 + 4, escape(label)))
        o.append('</g>')

    # Row 1: the map, holes included.
    y = rows["map"]
    o.append('<text x="%d" y="%d" font-weight="bold">memory map</text>' % (L, y - 6))
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
    y = rows["zones"]
    o.append('<text x="%d" y="%d" font-weight="bold">zones</text>' % (L, y - 6))
    for i, (name, s, e) in enumerate(zones):
        box(to_x(s), to_x(e), y, 30, ZONE_COLORS[i % len(ZONE_COLORS)], "ZONE_" + name.upper()
            if name != "Normal" else "ZONE_NORMAL",
            "%s [mem %#x-%#x] %s" % (name, s, e - 1, human(e - s)))
    # Row 3: kernel image and the Labyrinth pool.
    y = rows["marks"]
    o.append('<text x="%d" y="%d" font-weight="bold">kernel image, Labyrinth pool</text>'
             % (L, y - 6))
    marks = [(kernel, "kernel image", "#386cb0")] + \
        [(r, "Labyrinth pool", "#d95f02") for r in pool]
    for r, name, color in marks:
        if r:
            x0, x1 = to_x(r[0]), to_x(r[1])
            box(x0, max(x1, x0 + 3), y, 22, color, None,
                "%s [mem %#x-%#x] %s" % (name, r[0], r[1] - 1, human(r[1] - r[0])))
            o.append('<text x="%.1f" y="%d">%s %s</text>' % (L + x0, y + 36, name,
                                                           human(r[1] - r[0])))
    if not pool:
        o.append('<text x="%d" y="%d" fill="#888">(no pool range in this input)</text>'
                 % (L + W - 220, y + 36))
    # Boundary ticks and addresses, skipping labels that would collide.
    ybase = rows["marks"] + 50
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
    ap.add_argument("files", nargs="*")
    ap.add_argument("-o", "--output", help="SVG file (default: stdout)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    text = "".join(open(f, errors="replace").read() for f in args.files) if args.files \
        else sys.stdin.read()
    entries, zones, kernel, pool, normalized = parse(text)
    if not entries:
        sys.exit("memmap-svg: no memory map ([mem ...] lines) in the input")
    title = args.title or "Physical memory map (%s)" % ("normalized by Labyrinth" if normalized
                                                        else "as the firmware gave it")
    svg = render(entries, zones, kernel, pool, title)
    if args.output:
        with open(args.output, "w") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)


if __name__ == "__main__":
    main()
