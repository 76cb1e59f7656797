# labyrinth.py - GDB helpers for Labyrinth, in the style of Linux's
# scripts/gdb (lx-* commands): they read the kernel's own data structures
# through gdb.Value and print them in the format the kernel itself prints,
# so the output can be compared line by line with the serial log.
#
# Loaded by `make gdb` (tools/run.py --gdb sources this file when it exists),
# or by hand:   (gdb) source tools/gdb/labyrinth.py
#
#   lab-buddyinfo [--walk]   free blocks per order per zone   (mm/zone.c show_buddyinfo)
#   lab-zoneinfo             zone counters and watermarks      (mm/zone.c show_zoneinfo)
#   lab-page <pfn|address|struct page *>
#                            one struct page, decoded          (mm/debug.c bad_page lines)
#   lab-ptdump [address]     kernel page tables, or one walk   (mm/ptdump.c ptdump)
#   lab-memmap               the normalized memory map         (mm/memmap.c memmap_print)
#   lab-pcp                  per-CPU page lists of every zone  (mm/pcp.c, Linux zoneinfo "pagesets")
#   lab-pagetypeinfo         free blocks per migratetype, pageblocks per type (mm/vmstat.c)
#   lab-dmesg [--tail N]     the printk buffer, e.g. of a hung kernel (kernel/printk.c log_buf)
#   lab-trace [--cpu N] [--last N]  the allocation trace rings     (mm/trace.c trace_cpus)
#   lab-help                 this list
#   print *page              struct page values print decoded (a pretty-printer)
#   $lab_pfn_to_page(pfn), $lab_page_address(page)  convenience functions
#
# Constants that are macros in C (no DWARF for them) are repeated below with
# the header that defines them; everything else (array sizes, zone names,
# MAX_PAGE_ORDER via the size of free_area[]) is read from the debug info, so
# a student who changes MAX_PAGE_ORDER or adds a zone needs no edit here.
#
# Where a breakpoint puts you matters: before vm_init() the kernel runs on
# the boot page tables (page_offset_base = 0, identity map of the low 4 GiB);
# after it, on kernel_pgtable with the direct map at 0xffff888000000000.
# The helpers read page_offset_base each time, so both work.
import gdb

PAGE_SHIFT = 12                      # include/labyrinth/mm.h
PFN_SECTION_SHIFT = 15               # include/labyrinth/mm.h
PFN_NIL = 0xffffffff                 # include/labyrinth/mm.h
KERNEL_VMA_BASE = 0xffffffff80000000  # include/labyrinth/layout.h
PAGE_FLAG_NAMES = ["buddy", "allocated", "reserved", "nomem", "pcp", "exclusive"]  # enum pageflags
PAGEBLOCK_ORDER = 9                  # include/labyrinth/mmzone.h pageblock_order
NR_PAGEBLOCK_BITS = 8                # include/labyrinth/mmzone.h: a byte each
MIGRATETYPE_NAMES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"]  # mm/buddy.c

# include/labyrinth/pgtable.h VM_* and the x86_64 entry bits
# (arch/x86_64/include/asm/pgtable_types.h).
VM_WRITE, VM_EXEC, VM_USER, VM_NOCACHE, VM_GLOBAL = 1, 2, 4, 8, 16
_PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_PWT, _PAGE_PCD = 1, 2, 4, 8, 16
_PAGE_PSE, _PAGE_GLOBAL, _PAGE_NX = 1 << 7, 1 << 8, 1 << 63
PTE_PFN_MASK = 0x000ffffffffff000

E820_NAMES = {1: "usable", 2: "reserved", 3: "ACPI data", 4: "ACPI NVS", 5: "unusable",
              7: "persistent (type 7)", 12: "persistent (type 12)",
              0xefffffff: "soft reserved", 128: "kernel"}  # mm/memmap.c memmap_type_name


# ---- reading the kernel ----------------------------------------------------

def require_memory():
    """The kernel's data can be read: the CPU is past the 32-bit entry, on
    page tables that map the kernel image (not at reset, in real mode)."""
    try:
        gdb.selected_inferior().read_memory(u(sym("&mm_initialized")), 1)
    except (gdb.MemoryError, gdb.error):
        raise gdb.GdbError("the kernel's memory cannot be read yet: the CPU is still in the "
                           "firmware or the 32-bit entry, before paging maps the kernel. "
                           "Stop later: hbreak kmain, then continue")


def require_mm():
    """mm_init() has finished (mm/debug.c mm_initialized): the zones, struct
    pages and free lists exist. Before, the helpers would print zeros."""
    require_memory()
    if not int(sym("mm_initialized")):
        raise gdb.GdbError("the memory manager is not up yet: mm_init() (mm/init.c) has not "
                           "finished, so there are no zones or free lists to show. Stop "
                           "later: hbreak vm_init (right after mm_init), then continue")


def parse_options(cmd, arg, flags=(), valued=(), positional=0):
    """Splits arg into ({option: value or True}, [positional words]); anything
    else is refused with the command's usage, rather than ignored."""
    words, opts, pos = arg.split(), {}, []
    i = 0
    while i < len(words):
        w = words[i]
        if w in flags:
            opts[w] = True
        elif w in valued:
            if i + 1 >= len(words):
                raise gdb.GdbError("%s: %s needs a value (help %s)" % (cmd, w, cmd))
            opts[w] = words[i + 1]
            i += 1
        elif w.startswith("--"):
            raise gdb.GdbError("%s: unknown option %s (help %s)" % (cmd, w, cmd))
        else:
            pos.append(w)
        i += 1
    if len(pos) > positional:
        raise gdb.GdbError("%s: unexpected argument %r (help %s)" % (cmd, " ".join(pos), cmd))
    return opts, pos

def sym(name):
    try:
        return gdb.parse_and_eval(name)
    except gdb.error:
        s = gdb.lookup_static_symbol(name)  # a file-static of another unit (log_buf)
        if s is None:
            raise
        return s.value()


def has_symbol(name):
    try:
        return gdb.lookup_global_symbol(name) is not None or \
            gdb.lookup_static_symbol(name) is not None
    except gdb.error:
        return False


def u(v):
    """A gdb.Value as a Python int (unsigned view of pointers)."""
    return int(v.cast(gdb.lookup_type("unsigned long"))) if v.type.code == gdb.TYPE_CODE_PTR \
        else int(v)


def array_len(v):
    lo, hi = v.type.range()
    return hi - lo + 1


def zones():
    """(index, struct zone value) for every zone of every node (node_data[0 ..
    nr_node_ids-1], mm/numa.c), in node order: index = nid * MAX_NR_ZONES + zone."""
    nodes, out = u(sym("nr_node_ids")), []
    for nid in range(nodes):
        z = sym("node_data")[nid]["node_zones"]
        out += [(nid * array_len(z) + i, z[i]) for i in range(array_len(z))]
    return out


def zone_name(z):
    return z["name"].string() if u(z["name"]) else "?"


def page_offset_base():
    return u(sym("page_offset_base"))


def page_type():
    return gdb.lookup_type("struct page")


def pfn_valid(pfn):
    sec = pfn >> PFN_SECTION_SHIFT
    if sec >= u(sym("nr_mem_sections")):
        return False
    return u(sym("mem_section")[sec]["map"]) != 0


def pfn_to_page(pfn):
    """include/labyrinth/mm.h pfn_to_page(): the section's biased base + pfn * 16."""
    sec = sym("mem_section")[pfn >> PFN_SECTION_SHIFT]
    addr = u(sec["biased"]) + pfn * page_type().sizeof
    return gdb.Value(addr).cast(page_type().pointer())


def read_u64s(addr, count):
    mem = gdb.selected_inferior().read_memory(addr, 8 * count)
    b = bytes(mem)
    return [int.from_bytes(b[i * 8:i * 8 + 8], "little") for i in range(count)]


def describe_flags(flags):
    return "|".join(n for i, n in enumerate(PAGE_FLAG_NAMES) if flags & (1 << i))


def zone_of_pfn(pfn):
    """The zone whose span holds pfn (mmzone.h pfn_zone_idx, by spans)."""
    for i, z in zones():
        start, span = u(z["zone_start_pfn"]), u(z["spanned_pages"])
        if span and start <= pfn < start + span:
            return zone_name(z) if u(sym("nr_node_ids")) == 1 else \
                "%s (node %d)" % (zone_name(z), u(z["node"]))
    return None


def parse_number(arg):
    return int(gdb.parse_and_eval(arg).cast(gdb.lookup_type("unsigned long")))


# ---- lab-buddyinfo ---------------------------------------------------------

def free_list_heads(area):
    """The list heads of one free_area: one per migratetype (head[]), or the
    single head of a kernel from before grouping by mobility."""
    head = area["head"]
    if head.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        return [u(head[i]) for i in range(array_len(head))]
    return [u(head)]


def buddyinfo_lines(walk=False):
    """mm/zone.c show_buddyinfo(): 'Node N, zone %8s ' then '%6u ' per order."""
    lines = []
    for _, z in zones():
        if u(z["managed_pages"]) == 0:          # populated_zone()
            continue
        fa = z["free_area"]
        counts = [u(fa[o]["nr_free"]) for o in range(array_len(fa))]
        lines.append("Node %d, zone %8s " % (u(z["node"]), zone_name(z)) + "".join("%6u " % c for c in counts))
        if walk:
            walked = []
            for o in range(array_len(fa)):
                n = 0
                for h in free_list_heads(fa[o]):   # one list per migratetype
                    pfn = h
                    while pfn != PFN_NIL and n <= counts[o]:
                        page = pfn_to_page(pfn).dereference()
                        if u(page["flags"]) & 1 == 0 or u(page["order"]) != o:
                            lines.append("  order %d: pfn %#x on the list is not a free block "
                                         "of this order (flags %#x order %d)"
                                         % (o, pfn, u(page["flags"]), u(page["order"])))
                        n += 1
                        pfn = u(page["next"])
                walked.append(n)
            same = walked == counts
            lines.append("  lists walked:   " + "".join("%6u " % c for c in walked) +
                         ("(matches nr_free)" if same else "(MISMATCH with nr_free)"))
    return lines


class LabBuddyinfo(gdb.Command):
    """Free blocks per order in every populated zone, as /proc/buddyinfo and the
kernel's show_buddyinfo() (mm/zone.c) print them.
Usage: lab-buddyinfo [--walk]
  --walk  also follow every free list through struct page next links and
          check the length against nr_free (slow over the gdb stub)."""

    def __init__(self):
        super().__init__("lab-buddyinfo", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        opts, _ = parse_options("lab-buddyinfo", arg, flags=("--walk",))
        require_mm()
        for line in buddyinfo_lines(walk="--walk" in opts):
            gdb.write(line + "\n")


# ---- lab-zoneinfo ----------------------------------------------------------

def zoneinfo_lines():
    """mm/zone.c show_zoneinfo(): the core of /proc/zoneinfo."""
    lines = []
    for _, z in zones():
        if u(z["spanned_pages"]) == 0:
            continue
        wm = z["_watermark"]
        lr = z["lowmem_reserve"]
        lines += ["Node %d, zone %8s" % (u(z["node"]), zone_name(z)),
                  "  pages free     %d" % u(z["free_pages"]),
                  "        min      %d" % u(wm[0]),
                  "        low      %d" % u(wm[1]),
                  "        high     %d" % u(wm[2]),
                  "        spanned  %d" % u(z["spanned_pages"]),
                  "        present  %d" % u(z["present_pages"]),
                  "        managed  %d" % u(z["managed_pages"]),
                  "        protection: (%s)" % ", ".join(str(u(lr[i]))
                                                        for i in range(array_len(lr)))]
        if has_symbol("pcp_show_zoneinfo"):   # mm/pcp.c prints "pagesets" here
            lines += pagesets_lines(z)
        lines.append("  start_pfn:           %d" % u(z["zone_start_pfn"]))
    return lines


class LabZoneinfo(gdb.Command):
    """Zone counters and watermarks, as the kernel's show_zoneinfo() (mm/zone.c)
and the core of Linux's /proc/zoneinfo print them.
Usage: lab-zoneinfo"""

    def __init__(self):
        super().__init__("lab-zoneinfo", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        parse_options("lab-zoneinfo", arg)
        require_mm()
        for line in zoneinfo_lines():
            gdb.write(line + "\n")


# ---- lab-page --------------------------------------------------------------

def resolve_page_arg(arg):
    """(pfn, how) from a pfn, a physical/virtual address or a struct page *."""
    words = arg.split()
    mode = None
    if words and words[0] in ("--pfn", "--phys", "--virt"):
        mode, words = words[0], words[1:]
    elif words and words[0].startswith("--"):
        raise gdb.GdbError("lab-page: unknown option %s (help lab-page)" % words[0])
    if not words:
        raise gdb.GdbError("usage: lab-page [--pfn|--phys|--virt] <pfn|address|struct page *>")
    expr = " ".join(words)
    v = gdb.parse_and_eval(expr)
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR and \
            v.type.strip_typedefs().target().strip_typedefs().name == "page":
        return u(v.dereference()["pfn"]), "struct page *"
    n = u(v) if v.type.code == gdb.TYPE_CODE_PTR else int(v) & 0xffffffffffffffff
    if mode is None:
        if n >= KERNEL_VMA_BASE:
            mode = "--virt"
        elif n >= 1 << 63:
            mode = "--virt"
        elif n < u(sym("max_pfn")):
            mode = "--pfn"
        else:
            mode = "--phys"
    if mode == "--pfn":
        return n, "pfn"
    if mode == "--phys":
        return n >> PAGE_SHIFT, "physical address %#x" % n
    if n >= KERNEL_VMA_BASE:
        return (n - KERNEL_VMA_BASE) >> PAGE_SHIFT, "kernel image address %#x" % n
    return (n - page_offset_base()) >> PAGE_SHIFT, "direct-map address %#x" % n


def page_lines(pfn, how):
    lines = []
    if not pfn_valid(pfn):
        return ["pfn:%05x (%s): no struct page (section %d has no RAM, or beyond max_pfn)"
                % (pfn, how, pfn >> PFN_SECTION_SHIFT)]
    pp = pfn_to_page(pfn)
    p = pp.dereference()
    flags, order, owner = u(p["flags"]), u(p["order"]), u(p["owner"])
    lines.append("pfn:%05x phys:%#x virt:%#x struct page at %#x (from %s)"
                 % (pfn, pfn << PAGE_SHIFT, page_offset_base() + (pfn << PAGE_SHIFT), u(pp), how))
    # The same line bad_page() (mm/debug.c) prints.
    lines.append("page: flags:%#x(%s) order:%d owner:%d" % (flags, describe_flags(flags),
                                                           order, owner))

    def link(x):
        return "nil" if x == PFN_NIL else "%#x" % x
    lines.append("  pfn field %#x, next %s, prev %s, zone %s, section %d"
                 % (u(p["pfn"]), link(u(p["next"])), link(u(p["prev"])),
                    zone_of_pfn(pfn) or "none", pfn >> PFN_SECTION_SHIFT))
    if flags & 1:
        # owner shares its byte with buddy_mt: the list's migratetype (mm.h)
        lines.append("  state: head of a free block of %d page(s) on free_area[%d], %s list"
                     % (1 << order, order, MIGRATETYPE_NAMES[owner] if owner < 5 else "?"))
    elif flags & 2:
        lines.append("  state: head of an allocated block of %d page(s) (order %d)"
                     % (1 << order, order))
    elif flags & 16:
        lines.append("  state: on a per-CPU list (mm/pcp.c)")
    elif flags & 8:
        lines.append("  state: hole: no RAM behind this pfn")
    elif flags & 4:
        lines.append("  state: reserved (kernel image, boot allocation or firmware)")
    else:
        # A tail page: find the head of its block, as page_free_bad_reason() does.
        max_order = array_len(zones()[0][1]["free_area"]) - 1  # MAX_PAGE_ORDER
        for o in range(1, max_order + 1):
            head_pfn = pfn & ~((1 << o) - 1)
            if not pfn_valid(head_pfn):
                break
            h = pfn_to_page(head_pfn).dereference()
            hf, ho = u(h["flags"]), u(h["order"])
            if hf & 3 and ho >= o:
                lines.append("  state: tail page %d of the %s block of order %d at pfn %#x"
                             % (pfn - head_pfn, "free" if hf & 1 else "allocated", ho,
                                head_pfn))
                break
        else:
            lines.append("  state: tail page, no head found")
    return lines


class LabPage(gdb.Command):
    """Decode one struct page (include/labyrinth/mm.h).
Usage: lab-page [--pfn|--phys|--virt] <pfn | address | struct page *>
Without a flag: a struct page pointer is used as is; a kernel-half address
(>= 0xffff800000000000) is virtual (kernel image or direct map); a number
below max_pfn is a pfn; anything else is a physical address.
The second line is the one bad_page() (mm/debug.c) prints."""

    def __init__(self):
        super().__init__("lab-page", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        require_mm()
        pfn, how = resolve_page_arg(arg)
        for line in page_lines(pfn, how):
            gdb.write(line + "\n")


# ---- lab-ptdump ------------------------------------------------------------

MARKERS = [(0, "User Space"),
           (0xffff800000000000, "Kernel Space"),
           (None, "Low Kernel Mapping"),       # DIRECT_MAP_BASE (include/labyrinth/layout.h)
           (None, "Kernel Space"),             # DIRECT_MAP_BASE + DIRECT_MAP_SIZE
           (0xffffc90000000000, "vmalloc() Area"),
           (0xffffe90000000000, "Kernel Space"),
           (KERNEL_VMA_BASE, "High Kernel Mapping")]  # mm/ptdump.c markers[]
DIRECT_MAP_BASE = 0xffff888000000000
DIRECT_MAP_SIZE = 64 << 40


def markers():
    m = list(MARKERS)
    m[2] = (DIRECT_MAP_BASE, m[2][1])
    m[3] = (DIRECT_MAP_BASE + DIRECT_MAP_SIZE, m[3][1])
    return m


def marker_of(va, mk):
    m = 0
    while m + 1 < len(mk) and va >= mk[m + 1][0]:
        m += 1
    return m


def entry_prot(e):
    """x86_pte_prot() of arch/x86_64/include/asm/pgtable_types.h."""
    return ((VM_WRITE if e & _PAGE_RW else 0) | (0 if e & _PAGE_NX else VM_EXEC) |
            (VM_USER if e & _PAGE_USER else 0) | (VM_NOCACHE if e & _PAGE_PCD else 0) |
            (VM_GLOBAL if e & _PAGE_GLOBAL else 0))


def entry_addr(e, level):
    mask = PTE_PFN_MASK
    if level > 1 and e & _PAGE_PSE:
        mask &= ~((1 << (12 + 9 * (level - 1))) - 1)
    return e & mask


def canonical(va, levels):
    top = 12 + 9 * levels - 1
    if va & (1 << top):
        va |= ((1 << 64) - 1) & ~((1 << (top + 1)) - 1)
    return va


def walk_tables(root, levels, fn):
    """Calls fn(va, pa, size, prot, level) for each present leaf, ascending;
    returns the number of tables reached (root included)."""
    base = page_offset_base()
    ntables = [0]

    def walk(table_pa, level, va_base):
        ntables[0] += 1
        entries = read_u64s(base + table_pa, 512)
        shift = 12 + 9 * (level - 1)
        for i, e in enumerate(entries):
            if not e & _PAGE_PRESENT:
                continue
            va = canonical(va_base | (i << shift), levels)
            if level == 1 or (level in (2, 3) and e & _PAGE_PSE):
                fn(va, entry_addr(e, level), 1 << shift, entry_prot(e), level)
            else:
                walk(entry_addr(e, level), level - 1, va & ((1 << (12 + 9 * levels)) - 1))
    walk(root, levels, 0)
    return ntables[0]


def fmt_size(nbytes):
    """mm/ptdump.c fmt_size(): the largest unit that divides the size."""
    units = "KMGTPE"
    n, i = nbytes >> 10, 0
    while n and not n & 1023 and i + 1 < len(units):
        n >>= 10
        i += 1
    return n, units[i]


def level_name(level, levels):
    if level == levels:
        return "pgd"
    names = ["", "pte", "pmd", "pud", "p4d", "pgd"]
    return names[level] if level < len(names) else "?"


def ptdump_lines(root, levels, nr_tables_kernel):
    mk = markers()
    out = []
    run = {"active": False, "next_marker": 0}
    stats = {}

    def print_run(r):
        num, unit = fmt_size(r["end"] - r["start"])
        p = r["prot"]
        out.append("0x%016x-0x%016x %9d%s %s%s%s%s%s    %s%s%s" % (
            r["start"], r["end"], num, unit,
            "USR " if p & VM_USER else "    ", "RW " if p & VM_WRITE else "ro ",
            "PWT " if p & VM_NOCACHE else "    ", "PCD " if p & VM_NOCACHE else "    ",
            "PSE " if r["level"] > 1 else "    ", "GLB " if p & VM_GLOBAL else "    ",
            "x  " if p & VM_EXEC else "NX ", level_name(r["level"], levels)))

    def markers_upto(m):
        while run["next_marker"] <= m:
            out.append("---[ %s ]---" % mk[run["next_marker"]][1])
            run["next_marker"] += 1

    def leaf(va, pa, size, prot, level):
        m = marker_of(va, mk)
        s = stats.setdefault(m, [0, [0] * 6])
        s[0] += size
        s[1][level] += 1
        if run["active"] and va == run["end"] and prot == run["prot"] and \
                level == run["level"] and m == run["marker"]:
            run["end"] += size
            return
        if run["active"]:
            print_run(run)
        markers_upto(m)
        run.update(active=True, start=va, end=va + size, prot=prot, level=level, marker=m)

    ntables = walk_tables(root, levels, leaf)
    if run["active"]:
        print_run(run)
    markers_upto(len(mk) - 1)
    sizes = ["", "4K", "2M", "1G", "512G", "256T"]
    for m in range(len(mk)):
        if m not in stats:
            continue
        num, unit = fmt_size(stats[m][0])
        parts = ["%dx%s" % (stats[m][1][lv], sizes[lv]) for lv in range(5, 0, -1)
                 if stats[m][1][lv]]
        out.append("vm: ptdump: %s %d%s: %s" % (mk[m][1], num, unit, " ".join(parts)))
    out.append("vm: ptdump: %d page-table pages (%d KiB), %d-level paging"
               % (ntables, ntables * 4, levels))
    if nr_tables_kernel is not None and nr_tables_kernel != ntables:
        out.append("lab-ptdump: note: kernel_pgtable.nr_tables says %d" % nr_tables_kernel)
    return out


def translate_lines(root, levels, va):
    """One walk, level by level, as the MMU does it."""
    base = page_offset_base()
    out = ["lab-ptdump: walk of %#x (%d-level, root at phys %#x)" % (va, levels, root)]
    table = root
    for level in range(levels, 0, -1):
        shift = 12 + 9 * (level - 1)
        idx = (va >> shift) & 511
        e = read_u64s(base + table + idx * 8, 1)[0]
        name = level_name(level, levels)
        out.append("  %s[%3d] @ phys %#018x = %#018x" % (name, idx, table + idx * 8, e))
        if not e & _PAGE_PRESENT:
            out.append("  not present: %#x is not mapped" % va)
            return out
        if level == 1 or (level in (2, 3) and e & _PAGE_PSE):
            pa = entry_addr(e, level) + (va & ((1 << shift) - 1))
            p = entry_prot(e)
            num, unit = fmt_size(1 << shift)
            out.append("  leaf: %d%s page, %s %s%s%s -> phys %#x" % (
                num, unit, "RW" if p & VM_WRITE else "ro", "x" if p & VM_EXEC else "NX",
                " GLB" if p & VM_GLOBAL else "", " UC" if p & VM_NOCACHE else "", pa))
            return out
        table = entry_addr(e, level)
    return out


class LabPtdump(gdb.Command):
    """The kernel's page tables (kernel_pgtable, mm/vm.c) in the format of the
kernel's ptdump() (mm/ptdump.c, Linux's /sys/kernel/debug/page_tables/kernel),
then the same summary lines; with an address, the walk of that address level
by level.
Usage: lab-ptdump [--root PHYS] [address]
  --root PHYS  walk the tables rooted at PHYS instead (e.g. the boot tables:
               before vm_init() kernel_pgtable is empty)"""

    def __init__(self):
        super().__init__("lab-ptdump", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        words = arg.split()
        root, levels, nr = None, 4, None
        if words and words[0].startswith("--") and words[0] != "--root":
            raise gdb.GdbError("lab-ptdump: unknown option %s (help lab-ptdump)" % words[0])
        require_memory()
        if words[:1] == ["--root"]:
            if len(words) < 2:
                raise gdb.GdbError("usage: lab-ptdump [--root PHYS] [address]")
            root, words = parse_number(words[1]), words[2:]
        if root is None:
            pt = sym("kernel_pgtable")
            root, levels, nr = u(pt["root"]), u(pt["levels"]), u(pt["nr_tables"])
            if root == 0:
                raise gdb.GdbError("lab-ptdump: kernel_pgtable is not built yet (vm_init() has "
                                   "not run); try --root with the boot tables' address")
        if words:
            lines = translate_lines(root, levels, parse_number(" ".join(words)))
        else:
            lines = ptdump_lines(root, levels, nr)
        for line in lines:
            gdb.write(line + "\n")


# ---- lab-memmap ------------------------------------------------------------

def memmap_lines():
    """mm/memmap.c memmap_init()'s printout of memmap_final."""
    m = sym("memmap_final")
    bi = sym("boot_info")
    nr = u(m["nr"])
    use_efi = u(bi["efi_desc_size"]) != 0 and u(bi["efi_map_size"]) != 0
    out = ["mm: memmap: %s map, %d entries after normalization:" % ("EFI" if use_efi else "e820",
                                                                   nr)]
    for i in range(nr):
        e = m["map"][i]
        addr, size, typ = u(e["addr"]), u(e["size"]), u(e["type"])
        name = E820_NAMES.get(typ, "type %d" % typ)
        out.append("mm: memmap: [mem 0x%016x-0x%016x] %s" % (addr, addr + size - 1, name))
    return out


class LabMemmap(gdb.Command):
    """The normalized physical memory map (memmap_final, mm/memmap.c) as the kernel
prints it at boot ("mm: memmap: [mem ...] type").
Usage: lab-memmap"""

    def __init__(self):
        super().__init__("lab-memmap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        parse_options("lab-memmap", arg)
        require_memory()
        for line in memmap_lines():
            gdb.write(line + "\n")


# ---- lab-pcp ---------------------------------------------------------------

def online_cpus():
    if has_symbol("cpu_online_mask"):
        mask = u(sym("cpu_online_mask"))
        if mask:
            return [c for c in range(64) if mask >> c & 1]
    return [0]


def pcp_rings(p):
    """(pindex, order, mt, offset, size) of each ring of a per_cpu_pages:
    include/labyrinth/mmzone.h pcp_pindex() and pcp_ring_off(); the order-0
    ring holds 512 struct page pointers, an order-k ring 512 >> k."""
    nlists, ntypes, size0 = array_len(p["lists"]), 3, 512   # MIGRATE_PCPTYPES, PCP_RING_SIZE
    for pindex in range(nlists):
        order, mt = divmod(pindex, ntypes)
        off = ntypes * (2 * size0 - ((2 * size0) >> order)) + mt * (size0 >> order)
        yield pindex, order, mt, off, size0 >> order


def pagesets_lines(z, ring=False):
    """mm/pcp.c pcp_show_zoneinfo(): online CPUs, and any other whose list
    is not empty; with ring, the list's pfns from hot to cold too.
    zone->pcp[cpu] points at the CPU's set (allocated at mm_init() by
    pcp_alloc_sets()), NULL for a CPU without one."""
    out = ["  pagesets"]
    online = online_cpus()
    pcp = z["pcp"]
    names = [f.name for f in pcp[0].type.strip_typedefs().target().fields()]
    for c in range(array_len(pcp)):
        if u(pcp[c]) == 0:
            continue
        p = pcp[c].dereference()
        count = u(p["count"])
        if c not in online and not count:
            continue
        out += ["    cpu: %d" % c,
                "              count: %d" % count,
                "              high:  %d" % u(p["high"]),
                "              batch: %d" % u(p["batch"])]
        if ring and "lists" in names:   # one ring per order and pcp migratetype
            hits = ""
            if "hits" in names:
                hits = " (hits: %d may-sleep, %d atomic)" % (u(p["hits"][0]), u(p["hits"][1]))
            out.append("              rings (block head pfns), hot to cold%s:" % hits)
            for pindex, order, mt, off, size in pcp_rings(p):
                base, n = u(p["lists"][pindex]["base"]), u(p["lists"][pindex]["count"])
                if order and not n:
                    continue
                # each entry is the block's head struct page (mmzone.h)
                pfns = [u(p["ring"][off + (base + i) % size].dereference()["pfn"])
                        for i in range(n)][::-1]
                out.append("                order %d %-11s %3d: %s" % (
                    order, MIGRATETYPE_NAMES[mt], n,
                    " ".join("%#x" % x for x in pfns[:12]) + (" ..." if n > 12 else "")))
    return out


def pcp_lines(ring=False):
    """Linux's /proc/zoneinfo "pagesets" block for each populated zone."""
    out = []
    for _, z in zones():
        if u(z["managed_pages"]) == 0:
            continue
        out.append("Node %d, zone %8s" % (u(z["node"]), zone_name(z)))
        out += pagesets_lines(z, ring)
    return out


class LabPcp(gdb.Command):
    """Per-CPU page lists (*zone->pcp[cpu], mm/pcp.c) of every populated zone, as
the "pagesets" block the kernel prints in zoneinfo (mm/pcp.c pcp_show_zoneinfo,
Linux's /proc/zoneinfo layout): the online CPUs (cpu_online_mask) and any CPU
whose list is not empty.
Usage: lab-pcp [--ring]
  --ring  also the pfns on each list, hot end first (the next page handed out),
          and the list's hit counters"""

    def __init__(self):
        super().__init__("lab-pcp", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        opts, _ = parse_options("lab-pcp", arg, flags=("--ring",))
        require_mm()
        for line in pcp_lines(ring="--ring" in opts):
            gdb.write(line + "\n")


# ---- lab-pagetypeinfo --------------------------------------------------------

def pageblock_migratetype(pfn):
    """mmzone.h get_pfnblock_migratetype(): the section's usemap, a byte
    (NR_PAGEBLOCK_BITS) per pageblock, 3 bits of type."""
    ms = sym("mem_section")[pfn >> PFN_SECTION_SHIFT]
    pb = (pfn & ((1 << PFN_SECTION_SHIFT) - 1)) >> PAGEBLOCK_ORDER
    return u(ms["pageblock_flags"][pb]) & 7


def pagetypeinfo_lines():
    """mm/vmstat.c show_pagetypeinfo(), Linux's /proc/pagetypeinfo format."""
    out = ["Page block order: %d" % PAGEBLOCK_ORDER,
           "Pages per block:  %d" % (1 << PAGEBLOCK_ORDER), ""]
    zl = [z for _, z in zones() if u(z["managed_pages"])]
    norders = array_len(zl[0]["free_area"]) if zl else 0
    out.append("%-43s " % "Free pages count per migrate type at order" +
               "".join("%6d " % o for o in range(norders)))
    for z in zl:
        fa = z["free_area"]
        for mt, name in enumerate(MIGRATETYPE_NAMES):
            counts = []
            for o in range(norders):
                n, pfn = 0, u(fa[o]["head"][mt])
                while pfn != PFN_NIL:
                    n += 1
                    pfn = u(pfn_to_page(pfn).dereference()["next"])
                counts.append(n)
            out.append("Node %4d, zone %8s, type %12s " % (u(z["node"]), zone_name(z), name) +
                       "".join("%6u " % c for c in counts))
    out.append("")
    out.append("%-23s" % "Number of blocks type " + "".join("%12s " % n for n in MIGRATETYPE_NAMES))
    for z in zl:
        start, end = u(z["zone_start_pfn"]), u(z["zone_start_pfn"]) + u(z["spanned_pages"])
        nr = 1 << PAGEBLOCK_ORDER
        count = [0] * len(MIGRATETYPE_NAMES)
        pfn = (start + nr - 1) & ~(nr - 1)
        while pfn < end:
            if pfn_valid(pfn) and not u(pfn_to_page(pfn).dereference()["flags"]) & 8:  # PG_nomem
                count[pageblock_migratetype(pfn)] += 1
            pfn += nr
        out.append("Node %d, zone %8s " % (u(z["node"]), zone_name(z)) +
                   "".join("%12u " % c for c in count))
    return out


class LabPagetypeinfo(gdb.Command):
    """Free blocks per order and migratetype, and pageblocks per type, of every
populated zone: Linux's /proc/pagetypeinfo, as the kernel's show_pagetypeinfo()
(mm/vmstat.c) prints it (boot with pagetypeinfo, or the self-test's report).
Usage: lab-pagetypeinfo"""

    def __init__(self):
        super().__init__("lab-pagetypeinfo", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        parse_options("lab-pagetypeinfo", arg)
        require_mm()
        for line in pagetypeinfo_lines():
            gdb.write(line + "\n")


# ---- convenience functions --------------------------------------------------

class LabPfnToPage(gdb.Function):
    """$lab_pfn_to_page(pfn): the struct page * of a pfn (mm.h pfn_to_page)."""

    def __init__(self):
        super().__init__("lab_pfn_to_page")

    def invoke(self, pfn):
        return pfn_to_page(int(pfn))


class LabPageAddress(gdb.Function):
    """$lab_page_address(page): the direct-map address of a struct page's memory."""

    def __init__(self):
        super().__init__("lab_page_address")

    def invoke(self, page):
        pfn = u(page.dereference()["pfn"])
        return gdb.Value(page_offset_base() + (pfn << PAGE_SHIFT)).cast(
            gdb.lookup_type("void").pointer())

# ---- lab-dmesg ---------------------------------------------------------------

def dmesg_text():
    """kernel/printk.c log_buf: the last LOG_BUF_LEN bytes the console printed."""
    buf = sym("log_buf")
    size = array_len(buf)
    pos = u(sym("log_buf_pos"))
    raw = bytes(gdb.selected_inferior().read_memory(u(buf.address), size))
    if pos <= size:
        data = raw[:pos]
    else:  # wrapped: oldest byte at pos % size; drop the first, partial line
        start = pos % size
        data = raw[start:] + raw[:start]
        data = data[data.find(b"\n") + 1:]
    return data.decode("utf-8", "replace")


class LabDmesg(gdb.Command):
    """The kernel log as the console printed it (kernel/printk.c log_buf, the last
64 KiB), read from memory: what a hung kernel said, even if the serial output
was lost. Only lines that passed loglevel= are there (unlike Linux's dmesg).
Usage: lab-dmesg [--tail N]"""

    def __init__(self):
        super().__init__("lab-dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        opts, _ = parse_options("lab-dmesg", arg, valued=("--tail",))
        require_memory()
        lines = dmesg_text().splitlines()
        if "--tail" in opts:
            lines = lines[-parse_number(opts["--tail"]):]
        for line in lines:
            gdb.write(line + "\n")


# ---- lab-trace ---------------------------------------------------------------

def trace_lines(cpus, last):
    """mm/trace.c trace_cpus[cpu].ring: the events still in each CPU's ring,
    oldest first (slot seq & mask holds event seq when its seq field is
    seq + 1; anything else was overwritten or torn)."""
    out = []
    tcs = sym("trace_cpus")
    ttype = gdb.lookup_type("enum trace_type")
    for cpu in cpus:
        tc = tcs[cpu]
        head, ring = u(tc["head"]), tc["ring"]
        size = array_len(ring)
        if not head:
            continue
        out.append("cpu %d: %d events recorded, the last %d kept" % (cpu, head,
                                                                   min(head, size)))
        for seq in range(max(0, head - min(size, last)), head):
            e = ring[seq % size]
            if u(e["seq"]) != seq + 1:
                out.append("  #%d overwritten or torn" % seq)
                continue
            name = str(gdb.Value(u(e["type"])).cast(ttype))
            pfn = u(e["pfn"])
            out.append("  #%d tsc %d story %d %s order %d zone %d pfn %s gfp %#x a %d b %d "
                       "c %d x %d y %d" % (seq, u(e["tsc"]), u(e["story"]), name, u(e["order"]),
                                           u(e["zone"]),
                                           "nil" if pfn == PFN_NIL else "%#x" % pfn,
                                           u(e["gfp"]), u(e["a"]), u(e["b"]), u(e["c"]),
                                           u(e["x"]), u(e["y"])))
    return out or ["no trace events recorded (boot with trace=alloc,free)"]


class LabTrace(gdb.Command):
    """The allocation trace rings (mm/trace.c trace_cpus[]): each CPU's last
events, oldest first, field by field (the kernel's narration of the same
events is trace_format(); enum trace_type in include/labyrinth/trace.h says
what a, b, c, x, y mean for each type). Events are recorded with trace=.
Usage: lab-trace [--cpu N] [--last N]   (default: every CPU, 32 events each)"""

    def __init__(self):
        super().__init__("lab-trace", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        opts, _ = parse_options("lab-trace", arg, valued=("--cpu", "--last"))
        require_memory()
        ncpu = array_len(sym("trace_cpus"))
        cpus = range(ncpu)
        if "--cpu" in opts:
            c = parse_number(opts["--cpu"])
            if c >= ncpu:
                raise gdb.GdbError("lab-trace: --cpu %d: NR_CPUS is %d" % (c, ncpu))
            cpus = [c]
        last = parse_number(opts["--last"]) if "--last" in opts else 32
        for line in trace_lines(cpus, last):
            gdb.write(line + "\n")


# ---- struct page pretty-printer ----------------------------------------------

class PagePrinter:
    """print *page: the flags by name and the links as pfns (include/labyrinth/mm.h)."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        flags = u(v["flags"])

        def link(x):
            return "nil" if x == PFN_NIL else "%#x" % x
        return "struct page {pfn %#x, flags %#x(%s), order %d, owner %d, next %s, prev %s}" % (
            u(v["pfn"]), flags, describe_flags(flags) or "none", u(v["order"]), u(v["owner"]),
            link(u(v["next"])), link(u(v["prev"])))


def page_printer(val):
    t = val.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "page":
        return PagePrinter(val)
    return None


# ---- lab-help ----------------------------------------------------------------

COMMANDS = {
    "lab-buddyinfo": "[--walk]  free blocks per order per zone (mm/zone.c show_buddyinfo)",
    "lab-zoneinfo": "counters and watermarks per zone (mm/zone.c show_zoneinfo)",
    "lab-page": "[--pfn|--phys|--virt] X  one struct page decoded (mm/debug.c bad_page)",
    "lab-ptdump": "[--root PHYS] [address]  kernel page tables, or one walk (mm/ptdump.c)",
    "lab-memmap": "the normalized memory map (mm/memmap.c memmap_print)",
    "lab-pcp": "[--ring]  per-CPU page lists of every zone (mm/pcp.c)",
    "lab-pagetypeinfo": "free blocks per order and migratetype, pageblocks per type",
    "lab-dmesg": "[--tail N]  the kernel log from memory (kernel/printk.c log_buf)",
    "lab-trace": "[--cpu N] [--last N]  the allocation trace rings (mm/trace.c)",
    "lab-help": "this list",
}


class LabHelp(gdb.Command):
    """The Labyrinth helpers, one line each; `help lab-<name>` for details.
Usage: lab-help"""

    def __init__(self):
        super().__init__("lab-help", gdb.COMMAND_SUPPORT)

    def invoke(self, arg, from_tty):
        parse_options("lab-help", arg)
        for name, what in COMMANDS.items():
            gdb.write("%-14s %s\n" % (name, what))
        gdb.write("$lab_pfn_to_page(pfn), $lab_page_address(page): convenience functions\n")
        gdb.write("print *page: struct page values print decoded (pretty-printer)\n"
                  "Most need the memory manager up: hbreak vm_init, continue. "
                  "Ctrl-C stops the guest.\n")


LabBuddyinfo()
LabZoneinfo()
LabPage()
LabPtdump()
LabMemmap()
LabPcp()
LabPagetypeinfo()
LabPfnToPage()
LabPageAddress()
LabDmesg()
LabTrace()
LabHelp()
gdb.pretty_printers.append(page_printer)
gdb.write("labyrinth: %s loaded (lab-help lists them)\n" % " ".join(COMMANDS))
