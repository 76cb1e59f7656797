"""test_numa.py - NUMA under QEMU: the firmware's SRAT/SLIT (SeaBIOS and
OVMF both pass on QEMU's tables) become nodes, and what the kernel found is
compared with what QEMU was given, from the "numa:" and "Node N, zone" lines;
the in-kernel suite numa (tests/kernel/numa_test.c) checks allocation by node.

  two nodes             1 GiB + 1 GiB, CPU i on node i, on every boot path
  three nodes           512 + 768 + 256 MiB, a full asymmetric distance matrix
  memoryless node       node 2 has a CPU and no memory: nearest is node 1
  no -numa              one node, "No NUMA configuration found"
OVMF boots cost ~5 s each, so only the two-node case runs on the UEFI paths.
"""
import re

import pytest

import ktap


def mem_nodes(sizes_mib, cpus, dist=None):
    """QEMU flags: node n has sizes_mib[n] MiB (0 = memoryless) and CPUs cpus[n];
    dist = {(src, dst): val}."""
    flags = []
    for n, (size, cs) in enumerate(zip(sizes_mib, cpus)):
        node = f"-numa node,nodeid={n}" + "".join(f",cpus={c}" for c in cs)
        if size:
            flags.append(f"-object memory-backend-ram,id=m{n},size={size}M")
            node += f",memdev=m{n}"
        flags.append(node)
    for (src, dst), val in sorted((dist or {}).items()):
        flags.append(f"-numa dist,src={src},dst={dst},val={val}")
    return " ".join(flags)


def node_mib(log):
    """{nid: MiB or 0} from 'numa: node N (PXM p): M MiB' / ': no memory' lines."""
    out = {}
    for m in re.finditer(r"numa: node (\d+) \(PXM \d+\): (?:(\d+) MiB|no memory)", log):
        out[int(m.group(1))] = int(m.group(2) or 0)
    return out


def distances(log):
    rows = re.findall(r"numa:\s+(\d+):((?:\s+\d+)+)\s*$", log, re.M)
    return {int(r): [int(v) for v in vals.split()] for r, vals in rows}


def expect_nodes(b, want_mib):
    got = node_mib(b.log)
    b.expect(sorted(got) == list(range(len(want_mib))), f"nodes found: {got}")
    for nid, want in enumerate(want_mib):
        # Node 0 loses the 640 KiB-1 MiB hole, the last node the firmware's
        # top of low memory; OVMF keeps a few MiB more.
        b.expect(want - 8 <= got[nid] <= want if want else got[nid] == 0,
                 f"node {nid}: {got[nid]} MiB, QEMU gave {want}")


def expect_suite(b, memoryless):
    b.expect_success()
    suites, cases = ktap.parse(b.raw)
    b.expect(suites.get("numa") == "ok", f"numa: {cases.get('numa')}")
    want = "ok" if memoryless else "skip"
    b.expect(cases["numa"].get("numa_memoryless_node_nearest") == want,
             "memoryless case did not " + ("run" if memoryless else "skip"))


@pytest.mark.parametrize("path", ["bios", "grub-efi", "efi"])
def test_two_nodes(boot, path):
    b = boot(path, mem="2G", smp=2, qemuflags=mem_nodes([1024, 1024], [[0], [1]]))
    expect_suite(b, memoryless=False)
    expect_nodes(b, [1024, 1024])
    b.expect("numa: CPU 1 (APIC id 1) on node 1" in b.log, "CPU 1 not on node 1")
    for line in ("Node 1, zone    DMA32", "node   1: [mem 0x0000000040000000-"):
        b.expect(line in b.log, f"no '{line}'")
    b.expect(distances(b.log) == {0: [10, 20], 1: [20, 10]}, "default distances")
    # The self-test ran too: each CPU's allocations came mostly from its own node.
    m = re.search(r"own-node allocations: cpu0\(node 0\)=(\d+)% cpu1\(node 1\)=(\d+)%", b.log)
    b.expect(m, "no per-CPU own-node share in the self-test summary")
    b.expect(all(int(x) > 50 for x in m.groups()), f"own-node shares too low: {m.groups()}")


def test_three_nodes_asymmetric(boot):
    dist = {(0, 1): 20, (0, 2): 30, (1, 0): 25, (1, 2): 15, (2, 0): 35, (2, 1): 17}
    b = boot("bios", mem="1536M", smp=3,
             qemuflags=mem_nodes([512, 768, 256], [[0], [1], [2]], dist))
    expect_suite(b, memoryless=False)
    expect_nodes(b, [512, 768, 256])
    b.expect(distances(b.log) == {0: [10, 20, 30], 1: [25, 10, 15], 2: [35, 17, 10]},
             f"distance table: {distances(b.log)}")
    b.expect("SLIT: asymmetric distances" in b.log, "asymmetry not noted")
    b.expect("Node 2, zone    DMA32" in b.log, "no zoneinfo for node 2")


@pytest.mark.parametrize("path", ["bios", "efi"])
def test_memoryless_node(boot, path):
    dist = {(0, 1): 20, (0, 2): 25, (1, 2): 15}
    b = boot(path, mem="1G", smp=3, qemuflags=mem_nodes([512, 512, 0], [[0], [1], [2]], dist))
    expect_suite(b, memoryless=True)
    expect_nodes(b, [512, 512, 0])
    b.expect("numa: node 2 (PXM 2): no memory, allocates from node 1" in b.log,
             "memoryless node 2 not served by node 1")
    b.expect("numa: CPU 2 (APIC id 2) on node 2 (memoryless)" in b.log, "CPU 2's node")


def test_no_numa_is_one_node(boot):
    b = boot("bios", mem="128M")
    b.expect_success()
    b.expect("numa: No NUMA configuration found" in b.log, "no 'No NUMA configuration' line")
    b.expect("Node 1," not in b.log and "numa: node" not in b.log, "a second node appeared")
