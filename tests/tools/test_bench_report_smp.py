"""test_bench_report_smp.py - the `make bench-smp` half of tools/bench-report.py: the
kernel's "smpbench:" lines (tests/bench/kernel_smpbench.c) become medians over the runs,
throughput ratios run by run and latency rows; a log where the kernel failed or measured
nothing is an error, never a report; and a report written without the two-CPU figures keeps
the section the last bench-smp run wrote."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "bench-report.py")
spec = importlib.util.spec_from_file_location("bench_report", TOOL)
br = importlib.util.module_from_spec(spec)
spec.loader.exec_module(br)

WHAT_B = "(order-0 pairs, per-CPU lists off: every pair takes the zone lock twice)"
WHAT_X = "(order-0 pages allocated on CPU 0, freed on CPU 1 through an SPSC ring; per-CPU lists on)"


def throughput(key, run, cpus, ops, ticks, extra=""):
    what = WHAT_B if key == "buddy_pairs" else WHAT_X
    return (f"[    0.{run}{cpus}] smpbench: {key} run={run} cpus={cpus} ops={ops} "
            f"ticks={ticks} {extra}{what}\n")


def latency(key, run, hammer, p50, p99, mx):
    src = "src_pcp=2000 src_buddy=0" if key.endswith("pcp") else "src_pcp=0 src_buddy=2000"
    return (f"[    1.{run}{hammer}] smpbench: {key} run={run} hammer={hammer} samples=2000 "
            f"p50={p50} p99={p99} max={mx} nulls=0 lock_seen={7 * hammer} {src} src_pool=0 "
            f"(GFP_ATOMIC order-0 in CPU 0's timer interrupt, per-CPU lists "
            f"on, CPU 1 idle (control))\n")


def good_log():
    """Three runs a case; 1 CPU: 100 ticks an op; 2 CPUs: 40, 400, 50 an op."""
    lines = ["[    0.000000] Command line: smpbench ktest=none\n",
             "[    0.2] smpbench: start: 2 CPUs online, guest TSC 2596 MHz\n"]
    for key, ops1, ops2 in (("buddy_pairs", 1000, 2000), ("xcpu_free", 1000, 1000)):
        for run, per_op in enumerate((40, 400, 50)):
            lines.append(throughput(key, run, 1, ops1, 100 * ops1))
            lines.append(throughput(key, run, 2, ops2, per_op * ops2,
                                    "refills=31 lock_seen=900 stall0=5 stall1=7 "
                                    if key == "xcpu_free" else ""))
    for key in ("irq_atomic_pcp", "irq_atomic_buddy"):
        for run in range(3):
            lines.append(latency(key, run, 0, 1000 + run, 9000, 30000))
            lines.append(latency(key, run, 1, 2000 + run, 90000, 10000000 * (run + 1)))
    lines.append("[    2.0] smpbench: done, 0 failures\n")
    return "".join(lines)


def write(tmp_path, text, name="smp.log"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_medians_and_ratios_run_by_run(tmp_path):
    s = br.parse_smp_log(write(tmp_path, good_log()))["summary"]
    b = s["buddy_pairs"]
    # 2 CPUs at 40/400/50 ticks an op against 100: 2.5x, 0.25x, 2.0x -> median 2.0
    assert b["ratio"] == pytest.approx(2.0)
    assert (b["ratio_min"], b["ratio_max"]) == pytest.approx((0.25, 2.5))
    assert b["cpus1"]["ticks_per_op"] == 100 and b["cpus2"]["ticks_per_op"] == 50
    assert b["runs"] == 3 and "zone lock" in b["what"]
    x = s["xcpu_free"]
    assert x["cpus2_refills"] == 31 and x["cpus2_stall1"] == 7
    h = s["irq_atomic_buddy"]
    assert h["hammer0"]["p50"] == 1001 and h["hammer1"]["max"] == 20000000
    assert h["hammer1"]["samples"] == 6000
    assert h["hammer1"]["lock_seen"] == 21 and h["hammer0"]["lock_seen"] == 0


def test_kernel_failure_is_an_error(tmp_path):
    log = good_log() + "[    2.1] smpbench: FAILED: CPU 1 did not take its work within 20000 ms\n"
    with pytest.raises(br.SmpLogError, match="CPU 1 did not take its work"):
        br.parse_smp_log(write(tmp_path, log))


def test_nothing_measured_is_an_error(tmp_path):
    with pytest.raises(br.SmpLogError, match="no 'smpbench:' figures"):
        br.parse_smp_log(write(tmp_path, "[    0.1] kmain: done, all tests passed\n"))


def test_a_case_without_its_two_cpu_runs_is_an_error(tmp_path):
    log = "".join(line for line in good_log().splitlines(True)
                  if not ("xcpu_free" in line and "cpus=2" in line))
    with pytest.raises(br.SmpLogError, match="no xcpu_free runs with two CPU"):
        br.parse_smp_log(write(tmp_path, log))
    log = "".join(line for line in good_log().splitlines(True)
                  if not ("irq_atomic_pcp" in line and "hammer=0" in line))
    with pytest.raises(br.SmpLogError, match="no irq_atomic_pcp samples with hammer=0"):
        br.parse_smp_log(write(tmp_path, log))


def test_cli_writes_json_and_keeps_the_section(tmp_path):
    out = tmp_path / "B.md"
    js = tmp_path / "smp.json"
    run = [sys.executable, TOOL, "--out", str(out)]
    subprocess.run(run + ["--smp-log", write(tmp_path, good_log()), "--smp", str(js)],
                   check=True, capture_output=True)
    first = out.read_text()
    assert "## Two CPUs on one zone" in first and "| 2.00x (0.25..2.50) | 3 |" in first
    assert json.loads(js.read_text())["summary"]["buddy_pairs"]["ratio"] == 2.0
    subprocess.run(run, check=True, capture_output=True)  # e.g. make bench: no --smp
    assert out.read_text() == first


def test_cli_refuses_a_broken_log(tmp_path):
    r = subprocess.run([sys.executable, TOOL, "--out", str(tmp_path / "B.md"), "--smp-log",
                        write(tmp_path, "smpbench: FAILED: needs CPU 1 online\n")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "needs CPU 1 online" in r.stderr
    assert not (tmp_path / "B.md").exists()
