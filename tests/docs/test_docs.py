"""test_docs.py - the docs cite only files and functions that exist (docs/check_refs.py),
every diagram source renders with Graphviz, and the checker itself catches a dangling
reference."""
import glob
import os
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


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz not installed")
def test_layers_picture_is_current():
    """docs/design.md shows docs/pictures/layers.svg: it must be what its source renders to."""
    src = os.path.join(ROOT, "docs", "diagrams", "layers.dot")
    svg = os.path.join(ROOT, "docs", "pictures", "layers.svg")
    r = subprocess.run(["dot", "-Tsvg", src], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open(svg) as f:
        assert f.read() == r.stdout, ("docs/pictures/layers.svg is stale: "
                                      "dot -Tsvg docs/diagrams/layers.dot -o docs/pictures/layers.svg")
