#!/usr/bin/env python3
"""check-layers.py - the kernel's floors, checked on the built objects.

Reads the symbol tables of the kernel's objects (`nm` over
build/kernel/**/*.o, so run it after `make kernel`), derives from each
object's undefined symbols and the object that defines them which source
file uses which, gives every source file a layer from its path, and fails on
every use the table below does not allow, naming file, symbol and target.
A "use" is any symbol reference: a call, or data read or written. What
leaves no symbol (a static inline or a macro from any header, a type) is
not seen: headers are kept to types, constants and small inlines of their
own layer (the seams: include/labyrinth/arch.h and asm/) by review.

The house, ground floor first (docs/design.md, docs/diagrams/layers.dot): lib/ and the core services are
used by everyone; arch/ provides mechanisms and never reaches up -- where
it must (the panic-time trace dump, a started CPU's entry into the idle
loop, MMIO mappings), what it calls was registered or handed in from above
(include/labyrinth/panic_notifier.h, include/labyrinth/arch.h); mm/ sits on
arch/; kernel/ policy on mm/; kmain on top calls every boot step, the
self-test and the benchmarks.

    layer     files                                   may use
    lib       lib/, arch/x86_64/string.asm            lib
    service   kernel/printk.c panic.c ksyms.c         lib, service, arch
              spinlock_debug.c (core services)
    arch      arch/                                   lib, service, arch
    smp       kernel/smp.c (cross-CPU calls)          lib, service, arch, smp
    acpi      acpi/ (parsing)                         lib, service, acpi
    mm        mm/                                     lib, service, arch, smp, mm
    boot      boot/ (the hand-off)                    lib, service, arch, boot
    kernel    kernel/ (the rest: policy)              all of the above, kernel
    init      kernel/main.c (kmain)                   everything
    selftest  selftest/                               all but init and tests
    tests     tests/                                  everything

Decisions: mm/ and acpi/ are siblings and neither uses the other -- the
MADT and SRAT results reach arch/ and mm/ through kernel/ (kmain,
kernel/irq.c, kernel/smpboot.c), never by a lower layer reaching for them;
arch/ may not even read acpi/'s data (kernel/irq.c hands it the MADT).
kernel/smp.c is a layer of its own because mm/pcp.c drains other CPUs'
lists with smp_call_function(): it may use only what mm/ may use, and the
CPU bring-up policy, which allocates stacks and maps the trampoline with
mm/, is kernel/smpboot.c above it. Symbols that no object defines (the
linker script's, the generated .ksyms table) are not edges.

Sanctioned exceptions are listed in EXCEPTIONS, each with its reason; one
no longer used is reported (not an error), so the list can only shrink.

Usage: tools/check-layers.py [--build DIR] [--dot OUT.dot] [--files] [-v]
  --dot OUT.dot  also write the layer graph (Graphviz), edges labelled with
                 the number of symbol uses, upward ones (sanctioned or not)
                 dashed; --files draws the files, grouped by layer, instead.
Exit status: 0 when every use is allowed, 1 otherwise, 2 on usage errors.
"""

import argparse
import collections
import glob
import os
import subprocess
import sys

# (layer, path prefixes or exact files, layers it may use); the most
# specific (longest) matching prefix decides a file's layer.
LAYERS = [
    ("lib", ["lib/", "arch/x86_64/string.asm"], {"lib"}),
    (
        "service",
        ["kernel/printk.c", "kernel/panic.c", "kernel/ksyms.c", "kernel/spinlock.c",
         "kernel/spinlock_debug.c"],
        {"lib", "service", "arch"},
    ),
    ("arch", ["arch/"], {"lib", "service", "arch"}),
    ("smp", ["kernel/smp.c"], {"lib", "service", "arch", "smp"}),
    ("acpi", ["acpi/"], {"lib", "service", "acpi"}),
    ("mm", ["mm/"], {"lib", "service", "arch", "smp", "mm"}),
    ("boot", ["boot/"], {"lib", "service", "arch", "boot"}),
    (
        "kernel",
        ["kernel/"],
        {"lib", "service", "arch", "smp", "acpi", "mm", "boot", "kernel"},
    ),
    ("init", ["kernel/main.c"], None),  # None: everything
    (
        "selftest",
        ["selftest/"],
        {"lib", "service", "arch", "smp", "acpi", "mm", "boot", "kernel", "selftest"},
    ),
    ("tests", ["tests/"], None),
]

# (from file, symbol, to file): reason. Upward uses the design accepts.
EXCEPTIONS = {
    ("arch/x86_64/head64.asm", "kmain", "kernel/main.c"):
        "the entry point: the boot CPU's assembly start jumps into kmain",
}

LAYER_ORDER = [name for name, _, _ in LAYERS]
ALLOWED = {name: allowed for name, _, allowed in LAYERS}


def layer_of(path):
    best, best_len = None, -1
    for name, prefixes, _ in LAYERS:
        for p in prefixes:
            if (path == p or (p.endswith("/") and path.startswith(p))) and len(p) > best_len:
                best, best_len = name, len(p)
    return best


def source_of(obj, root):
    rel = os.path.relpath(obj, root)
    if rel.endswith(".asm.o"):
        return rel[: -len(".asm.o")] + ".asm"
    return rel[: -len(".o")] + ".c"


def read_symbols(objs):
    """defs: symbol -> (file, nm type); refs: file -> set of symbols."""
    out = subprocess.run(["nm", "-A"] + objs, check=True, capture_output=True, text=True)
    defs, refs = {}, collections.defaultdict(set)
    for line in out.stdout.splitlines():
        obj, rest = line.split(":", 1)
        fields = rest.split()
        if len(fields) < 2:
            continue
        kind, sym = fields[-2], fields[-1]
        if kind in "Uwv":  # undefined, or weak (undefined here)
            refs[obj].add(sym)
        elif kind.isupper():  # global definitions only: locals link nothing
            defs[sym] = (obj, kind)
    return defs, refs


def build_edges(root):
    # Objects whose source is gone (a renamed or deleted file) are stale.
    objs = sorted(o for o in glob.glob(os.path.join(root, "**", "*.o"), recursive=True)
                  if os.path.exists(source_of(o, root)))
    if not objs:
        sys.exit(f"check-layers: no objects under {root}: run `make kernel` first")
    defs, refs = read_symbols(objs)
    files = {source_of(o, root) for o in objs}
    edges = []  # (from file, symbol, to file, nm type)
    for obj in objs:
        for sym in sorted(refs[obj]):
            if sym in defs and defs[sym][0] != obj:
                edges.append((source_of(obj, root), sym, source_of(defs[sym][0], root),
                              defs[sym][1]))
    return files, edges


def check(files, edges, verbose):
    unknown = sorted(f for f in files if layer_of(f) is None)
    for f in unknown:
        print(f"check-layers: {f}: no layer for this path (add it to LAYERS)")
    violations, used = 0, set()
    for src, sym, dst, kind in edges:
        a, b = layer_of(src), layer_of(dst)
        if a is None or b is None or ALLOWED[a] is None or b in ALLOWED[a]:
            continue
        key = (src, sym, dst)
        what = "data" if kind in "BDRCbdrc" else "function"
        if key in EXCEPTIONS:
            used.add(key)
            if verbose:
                print(f"check-layers: sanctioned: {src} -> {sym} ({dst}): {EXCEPTIONS[key]}")
            continue
        print(f"check-layers: {src} ({a}) uses {what} {sym} of {dst} ({b}): "
              f"{a} may use only {', '.join(sorted(ALLOWED[a]))}")
        violations += 1
    for key in sorted(set(EXCEPTIONS) - used):
        print(f"check-layers: note: exception no longer needed: {key[0]} -> {key[1]} "
              f"({key[2]}); remove it from EXCEPTIONS")
    return violations + len(unknown)


def write_dot(path, files, edges, by_file):
    count = collections.Counter()
    for src, _, dst, _ in edges:
        a, b = (src, dst) if by_file else (layer_of(src), layer_of(dst))
        if a != b and a and b:
            count[(a, b)] += 1
    with open(path, "w") as f:
        f.write("// Generated by tools/check-layers.py --dot: who uses whom in the\n"
                "// built kernel, labels = file-to-file symbol uses.\n")
        f.write("digraph layers {\n\trankdir=BT;\n\tnode [shape=box, fontname=\"Helvetica\"];\n")
        if by_file:
            for layer in LAYER_ORDER:
                members = sorted(x for x in files if layer_of(x) == layer)
                f.write(f"\tsubgraph \"cluster_{layer}\" {{\n\t\tlabel=\"{layer}\";\n")
                for m in members:
                    f.write(f"\t\t\"{m}\";\n")
                f.write("\t}\n")
        for (a, b), n in sorted(count.items()):
            la, lb = (layer_of(a), layer_of(b)) if by_file else (a, b)
            up = ALLOWED[la] is not None and lb not in ALLOWED[la]  # sanctioned, or a violation
            attrs = ([] if by_file else [f"label=\"{n}\""]) + (["style=dashed"] if up else [])
            f.write(f"\t\"{a}\" -> \"{b}\"" + (f" [{', '.join(attrs)}]" if attrs else "") + ";\n")
        f.write("}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/kernel", help="where the kernel's objects are")
    ap.add_argument("--dot", help="write the layer graph (Graphviz) to this file")
    ap.add_argument("--files", action="store_true", help="with --dot: draw files, not layers")
    ap.add_argument("-v", "--verbose", action="store_true", help="list sanctioned uses too")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # paths: the tree's
    files, edges = build_edges(build)
    bad = check(files, edges, args.verbose)
    if args.dot:
        write_dot(args.dot, files, edges, args.files)
    pairs = {(s, d) for s, _, d, _ in edges}
    print(f"check-layers: {len(files)} files, {len(edges)} symbol uses "
          f"({len(pairs)} file-to-file edges) checked, {bad} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
