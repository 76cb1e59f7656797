#!/usr/bin/python3
"""fragplot.py - free pages per order over time, from a Labyrinth serial log, to SVG.

  tools/fragplot.py [-o frag.svg] [--title T] serial.log

Every block of buddyinfo lines the kernel prints ("Node 0, zone DMA32  n0 n1
... n10", mm/zone.c show_buddyinfo()) is one snapshot. A snapshot is named
after the nearest line before it that names a phase: a self-test phase line
(any line matching "selftest" or "phase", selftest/report.c), a KTAP
"# Subtest: name", or the first snapshot's "boot". For each populated zone
the plot shows one 100%-stacked bar per snapshot: how the zone's free pages
split over the orders 0 (bottom, dark) .. MAX_PAGE_ORDER (top, light), with
the total free pages above the bar; below it, the free blocks per order on a
log scale, one line per snapshot (first red, last blue). Fragmentation is the
light top of the bars giving way to dark low orders, and the lines rising on
the left while they fall on the right. Writes plain SVG: no matplotlib.
"""
import argparse
import re
import sys
from xml.sax.saxutils import escape

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# one column per order; 6+ so that pagetypeinfo's "Number of blocks type" lines
# (one column per migratetype, 5: mm/vmstat.c) are not taken for buddyinfo
BUDDY = re.compile(r"^Node (\d+), zone\s+(\S+)((?:\s+\d+){6,})\s*$")
PHASE = re.compile(r"(selftest|phase|# Subtest: )", re.I)


def parse(text):
    """[(label, {zone: [counts per order]})] in log order."""
    snaps, cur, label = [], None, "boot"
    for raw in text.splitlines():
        line = TS.sub("", raw.rstrip("\r\n"))
        m = BUDDY.match(line)
        if m:
            if cur is None:
                cur = (label, {})
                snaps.append(cur)
            cur[1][m.group(2)] = [int(x) for x in m.group(3).split()]
            continue
        cur = None
        if PHASE.search(line):
            label = re.sub(r"^.*?(selftest:?\s*|# Subtest:\s*)", "", line.strip()).strip() \
                or line.strip()
    return snaps


def order_color(o, n):
    """Dark (order 0) to light (the top order), a blue-to-yellow ramp."""
    t = o / max(n - 1, 1)
    r = int(40 + t * (250 - 40))
    g = int(60 + t * (220 - 60))
    b = int(140 + t * (90 - 140))
    return "#%02x%02x%02x" % (r, g, b)


def snap_color(i, n):
    """First snapshot red, last blue: time runs from warm to cool."""
    t = i / max(n - 1, 1)
    return "#%02x%02x%02x" % (int(215 - t * 170), int(48 + t * 70), int(39 + t * 141))


def render(snaps, title):
    zones = []
    for _, z in snaps:
        for name in z:
            if name not in zones:
                zones.append(name)
    norders = max(len(c) for _, z in snaps for c in z.values())
    bar, gap, left, top = 26, 10, 70, 90
    pw = max(len(snaps) * (bar + gap) + gap, 260)
    ph = 220
    top2 = top + ph + 110          # second row: blocks per order, log scale
    W = left + len(zones) * (pw + 40) + 160
    H = top2 + ph + 60 + 14 * len(snaps)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>' % (left,
                                                                             escape(title)),
         '<text x="%d" y="42">share of free pages per order in each buddyinfo snapshot; '
         'number above a bar: free pages</text>' % left]
    for zi, zname in enumerate(zones):
        x0 = left + zi * (pw + 40)
        o.append('<text x="%d" y="%d" font-weight="bold">zone %s</text>' % (x0, top - 30,
                                                                           escape(zname)))
        o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333" '
                 'stroke-width="0.5"/>' % (x0, top, pw, ph))
        for pct in (0, 25, 50, 75, 100):
            y = top + ph - ph * pct / 100
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                     % (x0, y, x0 + pw, y))
            if zi == 0:
                o.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>'
                         % (x0 - 4, y + 4, pct))
        for si, (label, z) in enumerate(snaps):
            counts = z.get(zname)
            bx = x0 + gap + si * (bar + gap)
            if counts:
                pages = [c << k for k, c in enumerate(counts)]
                total = sum(pages)
                y = top + ph
                for k, p in enumerate(pages):
                    if not total or not p:
                        continue
                    h = ph * p / total
                    y -= h
                    o.append('<rect x="%d" y="%.2f" width="%d" height="%.2f" fill="%s">'
                             '<title>%s, %s: order %d: %d blocks, %d pages</title></rect>'
                             % (bx, y, bar, h, order_color(k, norders), escape(zname),
                                escape(label), k, counts[k], p))
                o.append('<text x="%d" y="%d" font-size="9" text-anchor="middle">%d</text>'
                         % (bx + bar / 2, top - 13 + (si % 2) * 9, total))
            o.append('<text transform="translate(%d,%d) rotate(50)" font-size="10">%s</text>'
                     % (bx + 4, top + ph + 12, escape(label[:28])))
        # Row 2: free blocks per order, one line per snapshot, log scale.
        ymax = max(1, max(max(z.get(zname, [0])) for _, z in snaps))
        decades = len(str(ymax))
        o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333" '
                 'stroke-width="0.5"/>' % (x0, top2, pw, ph))

        def ylog(v):
            import math
            return top2 + ph - ph * math.log10(v + 1) / decades
        for d in range(decades + 1):
            y = ylog(10 ** d - 1)
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                     % (x0, y, x0 + pw, y))
            o.append('<text x="%d" y="%.1f" text-anchor="end" font-size="9">%d</text>'
                     % (x0 - 3, y + 3, 10 ** d - 1))
        for k in range(norders):
            x = x0 + 10 + k * (pw - 20) / max(norders - 1, 1)
            o.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="9">%d</text>'
                     % (x, top2 + ph + 12, k))
        o.append('<text x="%d" y="%d" font-size="10">free blocks per order (log scale), '
                 'order 0..%d left to right</text>' % (x0, top2 - 6, norders - 1))
        for si, (label, z) in enumerate(snaps):
            counts = z.get(zname)
            if not counts:
                continue
            ptsl = " ".join("%.1f,%.1f" % (x0 + 10 + k * (pw - 20) / max(norders - 1, 1),
                                           ylog(c)) for k, c in enumerate(counts))
            o.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5">'
                     '<title>%s</title></polyline>' % (ptsl, snap_color(si, len(snaps)),
                                                       escape(label)))
    ly = top2 + ph + 30
    for si, (label, _) in enumerate(snaps):
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                 '<text x="%d" y="%d" font-size="10">%s</text>'
                 % (left, ly + 14 * si - 4, left + 24, ly + 14 * si - 4,
                    snap_color(si, len(snaps)), left + 30, ly + 14 * si, escape(label)))
    lx = left + len(zones) * (pw + 40)
    o.append('<text x="%d" y="%d" font-weight="bold">order</text>' % (lx, top))
    for k in range(norders - 1, -1, -1):
        y = top + 8 + (norders - 1 - k) * 16
        o.append('<rect x="%d" y="%d" width="14" height="12" fill="%s"/>'
                 '<text x="%d" y="%d">%d (%d KiB)</text>' % (lx, y, order_color(k, norders),
                                                             lx + 18, y + 10, k, 4 << k))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("-o", "--output")
    ap.add_argument("--title", default="Free pages per order (buddyinfo) over the boot's phases")
    args = ap.parse_args()
    snaps = parse(open(args.log, errors="replace").read())
    if not snaps:
        sys.exit("fragplot: no buddyinfo lines in " + args.log)
    svg = render(snaps, args.title)
    if args.output:
        with open(args.output, "w") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)
    print("fragplot: %d snapshot(s): %s" % (len(snaps), ", ".join(s[0] for s in snaps)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
