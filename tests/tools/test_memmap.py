"""test_memmap.py - tools/memmap on whole kernel logs (tests/data/dmesg/): it finds the
firmware's table among everything else a log holds, in every format, and tools/memmap-svg.py
draws exactly the map the C tool prints (one parser). Builds build/tools/memmap if needed."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "dmesg")
TOOL = os.path.join(ROOT, "build", "tools", "memmap")
SVG = os.path.join(ROOT, "tools", "memmap-svg.py")


@pytest.fixture(scope="module", autouse=True)
def built():
    subprocess.run(["make", "-s", "build/tools/memmap"], cwd=ROOT, check=True, timeout=600)


def memmap(*args, stdin=None):
    return subprocess.run([TOOL] + list(args), input=stdin, capture_output=True, text=True,
                          timeout=60)


def read(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


# name: (line of the first BIOS-e820 entry, entries after normalization, "Usable:" line,
#        zones (name, first, last) as tools/memmap prints them, node ranges)
LOGS = {
    "laptop-uefi-6.1.dmesg": (
        5, 21, "Usable: 16485640K in 5 ranges; kernel-held 8K; reserved/other 554176K",
        [("DMA", 0x1000, 0xffffff), ("DMA32", 0x1000000, 0x43ffffff),
         ("Normal", 0x100000000, 0x4afbfffff)],
        [(0, 0x1000, 0x9efff), (0, 0x100000, 0x3e7a4fff), (0, 0x43fff000, 0x43ffffff),
         (0, 0x100000000, 0x4afbfffff)]),
    "server-numa-5.10.syslog": (
        13, 15, "Usable: 133916276K in 5 ranges; kernel-held 8K; reserved/other 604696K",
        [("DMA", 0x1000, 0xffffff), ("DMA32", 0x1000000, 0x6fffffff),
         ("Normal", 0x100000000, 0x207fffffff)],
        [(0, 0x1000, 0x9ffff), (0, 0x100000, 0x6a3f6fff), (0, 0x6c9f7000, 0x6fffffff),
         (0, 0x100000000, 0x107fffffff), (1, 0x1080000000, 0x207fffffff)]),
    "vm-kvm-6.1.journal": (
        4, 13, "Usable: 4193760K in 4 ranges; kernel-held 8K; reserved/other 262645K",
        [("DMA", 0x1000, 0xffffff), ("DMA32", 0x1000000, 0x7ffdbfff),
         ("Normal", 0x100000000, 0x17fffffff)],
        [(0, 0x1000, 0x9efff), (0, 0x100000, 0x7ffdbfff), (0, 0x100000000, 0x17fffffff)]),
    "old-bios-2.6.32.dmesg": (
        10, 15, "Usable: 4192752K in 4 ranges; kernel-held 8K; reserved/other 263562K",
        [("DMA", 0x1000, 0xffffff), ("DMA32", 0x1000000, 0xbfedffff),
         ("Normal", 0x100000000, 0x13fffffff)],
        [(0, 0x1000, 0x9efff), (0, 0x100000, 0xbfedffff), (0, 0x100000000, 0x13fffffff)]),
}


def records(out, kind):
    return [line.split("\t")[1:] for line in out.splitlines() if line.startswith(kind + "\t")]


@pytest.mark.parametrize("name", sorted(LOGS))
def test_whole_log(name):
    """The firmware table of a whole log: its line, entries, totals, zones, nodes; none of
    the other [mem ...] lines (SRAT, zones, PCI windows, e820: update, setup_data) leak in."""
    line, nr, usable, zones, nodes = LOGS[name]
    path = os.path.join(DATA, name)
    r = memmap(path)
    assert r.returncode == 0, r.stderr
    assert usable in r.stdout, r.stdout
    assert "Fixes: out-of-order 0, zero-length 0, wrapping 0, clipped 0, overlaps 0" in r.stdout
    assert r.stderr == "", r.stderr  # no FW_BUG, no trampoline remark on a sound map
    m = memmap("--machine", path)
    assert m.returncode == 0, m.stderr
    assert records(m.stdout, "source") == [["e820", str(line)]]
    assert len(records(m.stdout, "entry")) == nr
    assert [(z, int(s, 16), int(e, 16)) for z, s, e in records(m.stdout, "zone")] == zones
    assert [(int(n), int(s, 16), int(e, 16)) for n, s, e in records(m.stdout, "node")] == nodes
    assert "BIOS-e820" in read(name).splitlines()[line - 1]


def test_firmware_table_not_linux_edits():
    """The laptop's log also prints the setup_data copy (the usable range split in three) and
    'e820: update ... usable ==> reserved' for page 0 and the ESRT page: neither is applied."""
    path = os.path.join(DATA, "laptop-uefi-6.1.dmesg")
    assert "Not applied: 31 lines of Linux's own changes" in memmap(path).stdout
    r = memmap("--machine", path)
    entries = records(r.stdout, "entry")
    assert ["0x100000", "0x3e7a4fff", "usable"] in entries
    assert not any(s == "0x3a1ae018" or s == "0x3a2cc000" for s, _, _ in entries)


def test_efi_list_used_without_e820():
    """No BIOS-e820 lines: the efi: memNN list (efi=debug) is the table; boot services
    memory counts as usable, runtime and MMIO do not."""
    text = "".join(l for l in read("laptop-uefi-6.1.dmesg").splitlines(True)
                   if "BIOS-e820" not in l)
    r = memmap("--machine", stdin=text)
    assert r.returncode == 0, r.stderr
    assert records(r.stdout, "source") == [["efi", "31"]]  # line 49 less the 18 BIOS-e820 lines
    # The list is not in address order (mem16, RAM above 4 GiB, before the MMIO below
    # it), which UEFI allows: sorted, no false firmware bug, no false overlap.
    assert "out of address order, sorted" in r.stderr, r.stderr
    assert "Firmware Bug" not in r.stderr and "overlapping" not in r.stderr, r.stderr
    entries = records(r.stdout, "entry")
    assert ["0x3a2cc000", "0x3a2ccfff", "reserved"] in entries  # Runtime Data
    assert ["0x100000", "0x3a2cbfff", "usable"] in entries  # conventional+loader+boot data


def test_old_efi_format():
    r = memmap("--machine", stdin="efi: mem00: type=7, attr=0xf, "
               "range=[0x0000000000100000-0x0000000000200000) (1MB)\n")
    assert r.returncode == 0, r.stderr
    assert ["0x100000", "0x1fffff", "usable"] in records(r.stdout, "entry")


def test_several_boots_last_wins():
    text = read("old-bios-2.6.32.dmesg") + read("vm-kvm-6.1.journal")
    r = memmap(stdin=text)
    assert r.returncode == 0, r.stderr
    assert LOGS["vm-kvm-6.1.journal"][2] in r.stdout
    assert "1 earlier boot(s)" in r.stderr


@pytest.mark.parametrize("text", ["", "hello\nworld\n", "\x00\x01\x02garbage\xff" * 50,
                                  "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x0-0x7fffffff]\n"
                                  "[    0.1] pci_bus 0000:00: root bus resource "
                                  "[mem 0x000a0000-0x000bffff window]\n"])
def test_no_table_is_an_error(text):
    r = memmap(stdin=text)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "no firmware memory map found" in r.stderr and "BIOS-e820" in r.stderr


def test_bad_table_line_is_an_error():
    text = read("vm-kvm-6.1.journal").replace("0x000000007ffdc000-0x000000007fffffff",
                                              "0x000000007ffdc000 0x000000007fffffff")
    r = memmap(stdin=text)
    assert r.returncode == 1 and r.stdout == ""
    assert re.search(r"<stdin>:8: a memory map line I cannot read", r.stderr), r.stderr


def test_options():
    assert memmap("--help").returncode == 0 and "BIOS-e820" in memmap("--help").stdout
    r = memmap("-o", "/tmp/x.svg", os.path.join(DATA, "vm-kvm-6.1.journal"))
    assert r.returncode == 2 and "needs --svg" in r.stderr
    assert memmap("--bogus").returncode == 2
    r = memmap("-b", "x7")
    assert r.returncode == 2 and "-b" in r.stderr
    r = memmap("/nonexistent/dmesg.txt")  # named by the tool, as its other errors are
    assert r.returncode == 1 and r.stderr == \
        "memmap: /nonexistent/dmesg.txt: No such file or directory\n", r.stderr


def test_trampoline_remark_only_when_it_matters():
    """A map where 0x8000 is not RAM: one plain note about Labyrinth's SMP trampoline."""
    text = ("BIOS-e820: [mem 0x0000000000000000-0x0000000000007fff] usable\n"
            "BIOS-e820: [mem 0x0000000000008000-0x0000000000009fff] reserved\n"
            "BIOS-e820: [mem 0x000000000000a000-0x000000000009fbff] usable\n"
            "BIOS-e820: [mem 0x0000000000100000-0x0000000007fdffff] usable\n")
    r = memmap(stdin=text)
    assert r.returncode == 0
    assert r.stderr.count("trampoline") == 1 and "only the boot CPU" in r.stderr


def svg_entries(svg):
    return sorted((int(s, 16), int(e, 16), t) for s, e, t in
                  re.findall(r"<title>\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] ([^<]*?) \(", svg))


@pytest.mark.parametrize("name", sorted(LOGS))
def test_picture_draws_the_same_map(name):
    """memmap-svg.py on the whole log, and memmap --svg: the boxes are the C tool's entries."""
    path = os.path.join(DATA, name)
    want = sorted((int(s, 16), int(e, 16), t) for s, e, t in
                  records(memmap("--machine", path).stdout, "entry"))
    py = subprocess.run([sys.executable, SVG, path], capture_output=True, text=True, timeout=60)
    assert py.returncode == 0, py.stderr
    c = memmap("--svg", path)
    assert c.returncode == 0, c.stderr
    assert svg_entries(py.stdout) == want == svg_entries(c.stdout)
    nodes = {n for n, _, _ in LOGS[name][4]}
    assert (">node 1<" in py.stdout) == (len(nodes) > 1)


# A Labyrinth boot (128 MiB, 2026-12): the kernel image, then the pool's two stacks
# (its DMA page, DMA32's seven) close together on the picture's address axis.
LABYRINTH_LOG = """\
[    0.000306] boot: kernel image [mem 0x0000000000100000-0x00000000004b5fff], boot info [mem 0x00000000005e1768-0x00000000005e1e17]
[    0.000471] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
[    0.000514] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
[    0.000558] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
[    0.000601] BIOS-e820: [mem 0x0000000000100000-0x0000000007fdffff] usable
[    0.000645] BIOS-e820: [mem 0x0000000007fe0000-0x0000000007ffffff] reserved
[    0.000689] BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved
[    0.000733] BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff] reserved
[    0.013735] mm: Labyrinth pool: 8/8 pages (32K) reserved for atomic callers (DMA 1/1)
[    0.013774] mm: Labyrinth pool: [mem 0x0000000000803000-0x0000000000803fff] 1 page(s)
[    0.013814] mm: Labyrinth pool: [mem 0x0000000001022000-0x0000000001028fff] 7 page(s)
"""


def test_picture_mark_labels_do_not_overlap():
    """The kernel image's and the pool's labels under their marks: close ranges put
    their labels on separate lines (the bug: 'kernel image 3.7 MiB', 'Labyrinth pool
    4 KiB' and 'Labyrinth pool 28 KiB' printed over one another on one line)."""
    py = subprocess.run([sys.executable, SVG], input=LABYRINTH_LOG, capture_output=True,
                        text=True, timeout=60)
    assert py.returncode == 0, py.stderr
    labels = [(float(x), int(y), t) for x, y, t in
              re.findall(r'<text x="([\d.]+)" y="(\d+)">((?:kernel image|Labyrinth pool) '
                         r'[^<]*)</text>', py.stdout)]
    assert sorted(t for _, _, t in labels) == ["Labyrinth pool 28 KiB", "Labyrinth pool 4 KiB",
                                               "kernel image 3.7 MiB"], labels
    for i, (x0, y0, t0) in enumerate(labels):
        for x1, y1, t1 in labels[i + 1:]:
            if y0 == y1:  # on one line: 11 px DejaVu Sans is under 7 px a character
                left, right = sorted([(x0, t0), (x1, t1)])
                assert left[0] + 7 * len(left[1]) <= right[0], (left, right)


def test_half_open_e820_line_is_bad_not_a_crash():
    """Found by tests/fuzz/fuzz_memmap_text.c: '[mem a-b)' in a BIOS-e820 line (only old EFI
    lines close with ')') once read past a NULL; now it is an unreadable line."""
    r = memmap(stdin="BIOS-e820: [mem 0x0000000000100000-0x0000000000200000) usable\n")
    assert r.returncode == 1 and "cannot read" in r.stderr, (r.returncode, r.stderr)


@pytest.mark.parametrize("prefix", [
    "",                                                     # dmesg -t, or a bare paste
    "[    0.000000] ",                                      # dmesg
    "[Wed Dec  2 10:00:00 2026] ",                          # dmesg -T
    "<6>[    0.000000] ",                                   # dmesg -r
    "kern  :info  : [    0.000000] ",                       # dmesg -x
    "Dec  2 10:00:00 host kernel: [    0.000000] ",         # /var/log/kern.log
    "2026-12-02T10:00:00+0000 host kernel: ",               # journalctl -k -o short-iso
    "[    0.000000] [    T0] ",                             # printk caller id
])
def test_prefixes(prefix):
    lines = [l for l in read("vm-kvm-6.1.journal").splitlines() if "BIOS-e820" in l]
    text = "".join(prefix + l.split("kernel: ", 1)[1] + "\n" for l in lines)
    r = memmap(stdin=text)
    assert r.returncode == 0, r.stderr
    assert LOGS["vm-kvm-6.1.journal"][2] in r.stdout
