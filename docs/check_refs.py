#!/usr/bin/python3
"""check_refs.py - fail when the docs cite a file or function that does not exist.

  docs/check_refs.py [files...]      (default: docs/*.md, docs/diagrams/*.dot, README.md)

Run by `make docs` and by tests/docs/test_docs.py. It checks three kinds of
reference, wherever they appear (code spans or plain text):
  path/to/file.ext       a path with a slash and a known extension must exist,
                         from the top of the tree or from the citing file's
                         directory (markdown links); build/ outputs and paths
                         with wildcards excepted;
  file.ext               a bare file name must exist somewhere in the tree;
  name()                 an identifier followed by "()" must occur in the
                         sources (C, headers, assembly, Python, Makefiles), as
                         a word, outside docs/;
  path/file.c:name()     the strict form the walkthrough uses for decision
                         points: name must occur in that very file.
Names that are Linux's and deliberately not Labyrinth's (cited for
comparison) are listed in docs/linux-names.txt, one per line. Files and
functions that are still being written (docs sections marked "still
landing") are listed in docs/pending.txt: reported, not failed; and once
they exist, the check says so, so the list can shrink.
Exit status 1 and one line per dangling reference when any is found.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTS = r"(?:c|h|py|asm|ld|mk|sh|md|dot|txt|cfg|json|S|svg)"
PATH_RE = re.compile(r"(?<![\w/.<-])((?:\.{0,2}/)?[\w.-]+(?:/[\w.*-]+)+\." + EXTS + r")(?![\w])")
BARE_RE = re.compile(r"(?<![\w/.<-])([\w-]+\." + EXTS + r")(?![\w/])")
FUNC_RE = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)\(\)")
STRICT_RE = re.compile(r"([\w./-]+\.(?:c|h|asm|py)):([A-Za-z_]\w*)\(\)")
SOURCE_GLOBS = ["**/*.c", "**/*.h", "**/*.asm", "**/*.py", "**/*.ld", "**/*.S", "Makefile",
                "**/*.mk", "**/*.sh"]


def tree_files():
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = os.path.relpath(dirpath, ROOT)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and
                       not (rel == "." and d in ("build",))]
        for f in filenames:
            out.append(os.path.normpath(os.path.join(rel, f)))
    return out


def source_text(files):
    chunks = []
    for f in files:
        if f.startswith("docs/") or f.startswith("build/"):
            continue
        if re.search(r"\.(c|h|asm|py|ld|S|mk|sh)$", f) or os.path.basename(f) == "Makefile":
            try:
                with open(os.path.join(ROOT, f), errors="replace") as fh:
                    chunks.append(fh.read())
            except OSError:
                pass
    return "\n".join(chunks)


def main(argv):
    files = argv or sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")) +
                           glob.glob(os.path.join(ROOT, "docs", "diagrams", "*.dot")) +
                           [os.path.join(ROOT, "README.md")])
    allfiles = tree_files()
    basenames = {os.path.basename(f) for f in allfiles}
    sources = source_text(allfiles)
    words = set(re.findall(r"[A-Za-z_]\w*", sources))
    linux_path = os.path.join(ROOT, "docs", "linux-names.txt")
    linux = set()
    if os.path.exists(linux_path):
        linux = {ln.split("#")[0].strip() for ln in open(linux_path)} - {""}
    pending_path = os.path.join(ROOT, "docs", "pending.txt")
    pending = set()
    if os.path.exists(pending_path):
        pending = {ln.split("#")[0].strip() for ln in open(pending_path)} - {""}
    landed = {p for p in pending if os.path.exists(os.path.join(ROOT, p)) or
              (p.endswith("()") and p[:-2] in words)}
    file_cache = {}
    bad, nrefs = [], 0
    for doc in files:
        rel = os.path.relpath(doc, ROOT)
        for lineno, line in enumerate(open(doc, errors="replace"), 1):
            where = "%s:%d" % (rel, lineno)
            # URLs are not references to the tree.
            line = re.sub(r"https?://\S+", "", line).replace("\\n", " ")
            for path, func in STRICT_RE.findall(line):
                nrefs += 1
                full = os.path.join(ROOT, path)
                if not os.path.exists(full):
                    bad.append("%s: %s:%s(): no such file" % (where, path, func))
                    continue
                if path not in file_cache:
                    file_cache[path] = set(re.findall(r"[A-Za-z_]\w*", open(full,
                                                                           errors="replace").read()))
                if func not in file_cache[path]:
                    bad.append("%s: %s() does not occur in %s" % (where, func, path))
            for path in PATH_RE.findall(line):
                nrefs += 1
                p = path.lstrip("./") if path.startswith("./") else path
                if p.startswith("build/") or "*" in p or p.startswith("/"):
                    continue
                if not os.path.exists(os.path.join(ROOT, p)) and \
                        not os.path.exists(os.path.join(os.path.dirname(doc), p)):
                    bad.append("%s: %s: no such file" % (where, path))
            for name in BARE_RE.findall(line):
                nrefs += 1
                if name not in basenames and name not in linux and \
                        not os.path.exists(os.path.join(os.path.dirname(doc), name)):
                    bad.append("%s: %s: no file of that name in the tree" % (where, name))
            for name in FUNC_RE.findall(line):
                nrefs += 1
                if name not in words and name not in linux:
                    bad.append("%s: %s(): not found in the sources" % (where, name))
    waiting = []
    for b in list(bad):
        m = re.search(r": (\S+?)(?::\S+)?: no such file|: (\w+\(\)): not found|"
                      r": (\w+)\(\) does not occur|: (\S+): no file of that name", b)
        key = next((g for g in m.groups() if g), None) if m else None
        if key and (key in pending or key.rstrip("()") + "()" in pending):
            bad.remove(b)
            waiting.append(b)
    for w in waiting:
        print("check_refs: pending (docs/pending.txt): " + w)
    for p in sorted(landed):
        print("check_refs: %s exists now: remove it from docs/pending.txt" % p)
    for b in bad:
        print("check_refs: " + b)
    print("check_refs: %d references in %d files, %d dangling" % (nrefs, len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
