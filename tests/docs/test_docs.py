"""test_docs.py - the docs cite only files and functions that exist (docs/check_refs.py),
every diagram source renders with Graphviz, and the checker itself catches a dangling
reference."""
import glob
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHECK = os.path.join(ROOT, "docs", "check_refs.py")


def test_docs_references_exist():
    r = subprocess.run([sys.executable, CHECK], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_checker_catches_dangling_reference():
    missing = "nowhere_%d_fn" % os.getpid()  # built here, so no source file contains it
    with tempfile.NamedTemporaryFile("w", suffix=".md", dir=os.path.join(ROOT, "docs"),
                                     delete=False) as f:
        f.write("See `mm/no_such_file.c:alloc_pages()` and `mm/page_alloc.c:no_such_fn()`"
                " and %s().\n" % missing)
    try:
        r = subprocess.run([sys.executable, CHECK, f.name], capture_output=True, text=True,
                           timeout=120)
    finally:
        os.unlink(f.name)
    assert r.returncode == 1
    assert "no_such_file.c" in r.stdout and "no_such_fn" in r.stdout
    assert missing + "()" in r.stdout


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz not installed")
@pytest.mark.parametrize("src", sorted(glob.glob(os.path.join(ROOT, "docs", "diagrams",
                                                              "*.dot"))),
                         ids=os.path.basename)
def test_diagram_renders(src):
    r = subprocess.run(["dot", "-Tsvg", src], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "<svg" in r.stdout, r.stderr
    assert "Warning" not in r.stderr and "Error" not in r.stderr, r.stderr


DIAGRAMS = sorted(glob.glob(os.path.join(ROOT, "docs", "diagrams", "*.dot")))


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz not installed")
@pytest.mark.parametrize("src", DIAGRAMS, ids=os.path.basename)
def test_diagram_picture_is_current(src):
    """The docs show docs/pictures/NAME.svg: it must be what docs/diagrams/NAME.dot renders to."""
    name = os.path.splitext(os.path.basename(src))[0]
    svg = os.path.join(ROOT, "docs", "pictures", name + ".svg")
    r = subprocess.run(["dot", "-Tsvg", src], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(svg), "docs/pictures/%s.svg missing: make docs-diagrams-update" % name
    with open(svg) as f:
        assert f.read() == r.stdout, ("docs/pictures/%s.svg is stale: make docs-diagrams-update"
                                      % name)


# A page shows a picture at most ~900 px wide: wider, the browser scales it down,
# and 9-10 pt labels (dot's fontsize in docs/diagrams/) at 1100 pt = 1467 px
# come out at about 8 px; boot-paths.dot at 2400 pt had 4 px labels.
MAX_DIAGRAM_PT = 1100


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz not installed")
@pytest.mark.parametrize("src", DIAGRAMS, ids=os.path.basename)
def test_diagram_fits_a_page(src):
    """Readable labels: no diagram so wide that a page shrinks its text away."""
    r = subprocess.run(["dot", "-Tsvg", src], capture_output=True, text=True, timeout=60)
    m = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', r.stdout)
    assert m, r.stdout[:500]
    width = int(m.group(1))
    assert width <= MAX_DIAGRAM_PT, ("%s is %d pt wide (at most %d): lay it out top to "
                                      "bottom, or in fewer columns" %
                                      (os.path.basename(src), width, MAX_DIAGRAM_PT))


def test_docs_link_pictures_not_sources():
    """A browser shows a .dot file as text: the docs link the rendered SVG."""
    bad = []
    for md in glob.glob(os.path.join(ROOT, "docs", "*.md")) + [os.path.join(ROOT, "README.md")]:
        with open(md) as f:
            for n, line in enumerate(f, 1):
                for target in re.findall(r"\]\(([^)\s]+)\)", line):
                    if target.endswith(".dot"):
                        bad.append("%s:%d: %s" % (os.path.relpath(md, ROOT), n, target))
                    elif target.endswith(".svg") and not target.startswith("http"):
                        path = os.path.join(os.path.dirname(md), target)
                        if not os.path.exists(path):
                            bad.append("%s:%d: %s (missing)" % (os.path.relpath(md, ROOT), n,
                                                                 target))
    assert not bad, "links to diagram sources or missing pictures: %s" % bad


def svg_title(path):
    with open(path) as f:
        m = re.search(r'font-size="16" font-weight="bold">([^<]*)</text>', f.read())
    return html.unescape(m.group(1))


@pytest.mark.parametrize("picture,tool,log", [
    ("memmap-5G.svg", "memmap-svg.py", "boot-5G-4cpu.log"),
    ("memmap-1G-numa2.svg", "memmap-svg.py", "boot-1G-numa2.log"),
    ("frag-5G.svg", "fragplot.py", "boot-5G-4cpu.log"),
])
def test_boot_picture_is_current(picture, tool, log):
    """docs/pictures/ keeps each boot picture with the log it was drawn from
    (make docs-pictures-update): the tool must still draw exactly that picture from it."""
    subprocess.run(["make", "-s", "build/tools/memmap"], cwd=ROOT, check=True, timeout=600)
    pics = os.path.join(ROOT, "docs", "pictures")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", tool), "--title",
                        svg_title(os.path.join(pics, picture)), os.path.join(pics, log)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(pics, picture)) as f:
        assert f.read() == r.stdout, ("docs/pictures/%s is stale: make docs-pictures-update"
                                      % picture)
