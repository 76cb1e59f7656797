"""test_gdb.py - the GDB helpers (tools/gdb/labyrinth.py) against the kernel's own printout.

One 5 GiB, 4-CPU BIOS boot with ktest=none (the suites are other tests' business;
ktest_run_all() still runs and is a breakpoint), started as tools/run.py starts it (its
qemu_command(), plus -gdb on a free port and -S), serial to a log file. gdb
runs in batch mode with a Python driver that:
  1. stops at a hardware breakpoint on vm_init() - kmain() calls it right
     after mm_init(), whose last act is printing buddyinfo and zoneinfo; the
     memory map was printed by memmap_init() before that;
  2. notes how much of the serial log exists at that moment, runs
     lab-buddyinfo --walk, lab-zoneinfo, lab-memmap, lab-pcp, lab-pagetypeinfo and lab-page;
  3. stops again at mm_pcp_set_enabled() - kmain() calls it right after
     vm_drop_identity_map(), which printed the ptdump - and runs lab-ptdump and a
     lab-ptdump <address> walk;
  4. detaches, and the kernel runs to its end.
Each helper's output is then compared with the *last* matching block the
kernel printed before the breakpoint, so the test keeps working when later
boot steps print buddyinfo again (e.g. the self-test's phases).
"""
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import textwrap

import pytest

import ktap
from conftest import ROOT

GDB_TIMEOUT = 150
QEMU_TIMEOUT = 180
HELPERS = os.path.join(ROOT, "tools", "gdb", "labyrinth.py")
ELF = os.path.join(ROOT, "build", "labyrinth.elf")

# Executed inside gdb (gdb -batch -nx -x driver.py). Writes a JSON result.
DRIVER = textwrap.dedent(r'''
    import gdb, json
    out = {"stages": {}}
    def run(stage, cmds):
        res = {"log_len": len(open(LOG, "rb").read())}
        for c in cmds:
            try:
                res[c] = gdb.execute(c, to_string=True)
            except gdb.error as e:
                res[c] = "ERROR: %s" % e
        out["stages"][stage] = res
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("file " + ELF)
    gdb.execute("target remote 127.0.0.1:%d" % PORT)
    gdb.execute("source " + HELPERS)
    gdb.execute("hbreak vm_init")
    gdb.execute("continue")
    head = int(gdb.parse_and_eval("node_data[0].node_zones[1].free_area[%d].head[1]"
        % (gdb.parse_and_eval("node_data[0].node_zones[1].free_area").type.range()[1])))
    out["dma32_top_head"] = head
    run("after_mm_init", ["lab-buddyinfo --walk", "lab-zoneinfo", "lab-memmap", "lab-pcp",
                          "lab-pcp --ring", "lab-pagetypeinfo",
                          "lab-page %d" % head, "lab-page --phys 0x100000"])
    gdb.execute("delete")
    gdb.execute("hbreak mm_pcp_set_enabled")
    gdb.execute("continue")
    run("after_vm_init", ["lab-ptdump", "lab-ptdump 0xffff888000200000", "lab-page 0xffff888100000000"])
    gdb.execute("delete")
    open(RESULT, "w").write(json.dumps(out))
    gdb.execute("detach")
''')


def load_run_py():
    spec = importlib.util.spec_from_file_location("labyrinth_run", os.path.join(ROOT, "tools",
                                                                                "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def last_block(lines, start_re, line_re):
    """The last run of lines starting with start_re and continuing with line_re."""
    best, i = None, 0
    while i < len(lines):
        if re.match(start_re, lines[i]):
            j = i + 1
            while j < len(lines) and re.match(line_re, lines[j]):
                j += 1
            best = lines[i:j]
            i = j
        else:
            i += 1
    return best


def clean(text):
    return [ln.rstrip() for ln in ktap.strip_timestamps(text).replace("\r", "").splitlines()]


def zoneinfo_dict(lines):
    """{zone: {key: value}} from show_zoneinfo()-format lines."""
    zones, cur = {}, None
    for ln in lines:
        m = re.match(r"^Node 0, zone +(\S+)$", ln)
        if m:
            cur = zones.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\s+(pages free|min|low|high|spanned|present|managed|start_pfn:|"
                     r"protection:)\s+(.*)$", ln)
        if m and cur is not None:
            cur[m.group(1).rstrip(":")] = m.group(2).strip()
    return zones


@pytest.fixture(scope="module")
def session():
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    if not os.path.exists(ELF) or not os.path.exists(os.path.join(ROOT, "build",
                                                                  "labyrinth.iso")):
        pytest.skip("kernel not built (make iso)")
    run_py = load_run_py()
    tmp = tempfile.mkdtemp(prefix="labyrinth-gdb-")
    port = free_port()
    log = os.path.join(tmp, "serial.log")
    result = os.path.join(tmp, "result.json")
    elf = os.path.join(tmp, "labyrinth.elf")
    shutil.copy(ELF, elf)  # the ISO below is made from build/labyrinth.elf too
    args = type("Args", (), dict(path="bios", mem="5G", smp="4", cpu="max", cmdline="ktest=none pagetypeinfo",
                                 accel="tcg", gdb=False,
                                 qemuflags=f"-gdb tcp:127.0.0.1:{port} -S"))()
    cmd = run_py.qemu_command(args, tmp)
    cmd[cmd.index("-serial") + 1] = f"file:{log}"
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    driver = os.path.join(tmp, "driver.py")
    with open(driver, "w") as f:
        f.write(f"LOG = {log!r}\nRESULT = {result!r}\nELF = {elf!r}\nHELPERS = {HELPERS!r}\n"
                f"PORT = {port}\n" + DRIVER)
    try:
        g = subprocess.run(["gdb", "-batch", "-nx", "-x", driver], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=GDB_TIMEOUT)
        try:
            rc = qemu.wait(timeout=QEMU_TIMEOUT)
        except subprocess.TimeoutExpired:
            qemu.kill()
            rc = 124
    except subprocess.TimeoutExpired:
        qemu.kill()
        qemu.wait()
        pytest.fail("gdb timed out; serial log:\n" + open(log, errors="replace").read()[-3000:])
    serial = open(log, "rb").read().decode("utf-8", "replace")
    if not os.path.exists(result):
        pytest.fail(f"the gdb driver produced no result\n---- gdb ----\n{g.stdout[-4000:]}"
                    f"\n---- serial ----\n{serial[-3000:]}")
    res = json.load(open(result))
    yield {"res": res, "serial": serial, "qemu_rc": rc, "gdb": g.stdout, "raw": open(log, "rb").read()}
    shutil.rmtree(tmp, ignore_errors=True)


def stage(s, name):
    st = s["res"]["stages"][name]
    before = clean(s["raw"][:st["log_len"]].decode("utf-8", "replace"))
    return st, before


def output(st, cmd):
    text = st[cmd]
    assert not text.startswith("ERROR"), f"{cmd}: {text}"
    return [ln.rstrip() for ln in text.splitlines()]


# buddyinfo: one column per order (pagetypeinfo's "Number of blocks type" lines,
# "Node 0, zone DMA 0 7 0 0 0", have one per migratetype: 5)
BUDDY_RE = r"^Node 0, zone +\S+( +\d+){6,}$"


def test_kernel_still_succeeds(session):
    """Stopping twice under gdb does not change the boot's outcome."""
    assert session["qemu_rc"] == (0x10 << 1) | 1, \
        f"QEMU status {session['qemu_rc']}\n{session['serial'][-3000:]}"


def test_buddyinfo_matches_kernel(session):
    st, before = stage(session, "after_mm_init")
    got = output(st, "lab-buddyinfo --walk")
    kernel = last_block(before, BUDDY_RE, BUDDY_RE)
    assert kernel, "no buddyinfo printed before vm_init()"
    assert [ln for ln in got if ln.startswith("Node")] == kernel
    walked = [ln for ln in got if "lists walked" in ln]
    assert walked and all("(matches nr_free)" in ln for ln in walked), got


def test_zoneinfo_matches_kernel(session):
    st, before = stage(session, "after_mm_init")
    got = zoneinfo_dict(output(st, "lab-zoneinfo"))
    block = last_block(before, r"^Node 0, zone +\S+$", r"^(Node 0, zone +\S+$|\s+\S)")
    kernel = zoneinfo_dict(block or [])
    assert kernel, "no zoneinfo printed before vm_init()"
    assert set(got) == set(kernel)
    for zone, vals in kernel.items():
        for key in ("pages free", "min", "low", "high", "spanned", "present", "managed",
                    "protection", "start_pfn"):
            if key in vals:
                assert got[zone].get(key) == vals[key], f"{zone} {key}: gdb {got[zone]} kernel {vals}"
    # And line by line, pagesets (mm/pcp.c) included.
    assert output(st, "lab-zoneinfo") == block


def test_memmap_matches_kernel(session):
    st, before = stage(session, "after_mm_init")
    got = output(st, "lab-memmap")
    kernel = last_block(before, r"^mm: memmap: \S+ map, \d+ entries", r"^mm: memmap: \[mem ")
    assert kernel and got == kernel


def test_ptdump_matches_kernel(session):
    st, before = stage(session, "after_vm_init")
    got = output(st, "lab-ptdump")
    kernel = last_block(before, r"^---\[ User Space \]---$",
                        r"^(---\[|0x[0-9a-f]{16}-|vm: ptdump: )")
    assert kernel, "no ptdump printed before mm_pcp_set_enabled()"
    assert got == kernel


def test_ptdump_walk(session):
    st, _ = stage(session, "after_vm_init")
    got = "\n".join(output(st, "lab-ptdump 0xffff888000200000"))
    assert "pgd[273]" in got
    assert re.search(r"leaf: (2M|1G) page, RW NX GLB -> phys 0x200000$", got), got


def test_page_decodes(session):
    st, _ = stage(session, "after_mm_init")
    head = session["res"]["dma32_top_head"]
    got = "\n".join(output(st, f"lab-page {head}"))
    # a free block's owner byte is its list's migratetype (buddy_mt, mm.h): Movable at boot
    assert re.search(r"^page: flags:0x1\(buddy\) order:\d+ owner:1$", got, re.M), got
    assert "head of a free block" in got and "Movable list" in got and "zone DMA32" in got
    got = "\n".join(output(st, "lab-page --phys 0x100000"))   # the kernel image
    assert "flags:0x4(reserved)" in got and "zone DMA" in got
    st2, _ = stage(session, "after_vm_init")
    got = "\n".join(output(st2, "lab-page 0xffff888100000000"))
    assert "from direct-map address" in got and "pfn:100000 " in got and "zone Normal" in got


def test_pagetypeinfo_matches_kernel(session):
    """lab-pagetypeinfo prints what the kernel printed (cmdline pagetypeinfo,
    mm/vmstat.c show_pagetypeinfo()) just before the breakpoint."""
    st, before = stage(session, "after_mm_init")
    got = output(st, "lab-pagetypeinfo")
    assert got and got[0] == "Page block order: 9", got[:3]
    starts = [i for i, ln in enumerate(before) if ln == "Page block order: 9"]
    assert starts, "the kernel printed no pagetypeinfo before vm_init()"
    assert before[starts[-1]:starts[-1] + len(got)] == got
    assert any(ln.startswith("Number of blocks type") for ln in got)


def test_pcp_lists_every_zone(session):
    st, before = stage(session, "after_mm_init")
    got = output(st, "lab-pcp")
    zones = [ln.split()[3] for ln in before if re.match(BUDDY_RE, ln)]
    assert [ln.split()[-1] for ln in got if ln.startswith("Node 0, zone")] == \
        list(dict.fromkeys(zones))
    assert any(ln.strip() == "cpu: 0" for ln in got)
    # --ring: the lists by order and type (mm/pcp.c); empty ones above order 0 are left out
    ring = output(st, "lab-pcp --ring")
    assert any("rings (block head pfns), hot to cold" in ln for ln in ring), ring[:8]
    assert any(re.match(r"^\s+order 0 Unmovable\s+\d+:", ln) for ln in ring), ring[:8]
    # The kernel prints the same pagesets inside zoneinfo (mm/pcp.c pcp_show_zoneinfo).
    block = last_block(before, r"^Node 0, zone +\S+$", r"^(Node 0, zone +\S+$|\s+\S)") or []
    if any(ln.strip() == "pagesets" for ln in block):
        kernel = [ln for ln in block if ln.startswith("Node 0, zone") or
                  re.match(r"^\s+(pagesets|cpu:|count:|high:|batch:)", ln)]
        populated = set(ln.split()[3] for ln in got if ln.startswith("Node 0, zone"))
        kernel_pop, keep = [], False
        for ln in kernel:
            if ln.startswith("Node 0, zone"):
                keep = ln.split()[3] in populated
            if keep:
                kernel_pop.append(ln)
        assert got == kernel_pop
