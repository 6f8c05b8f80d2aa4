#!/usr/bin/env python3
"""Regenerates bin/lifebuoy/hot-symbols.txt: the functions a bench node executes.

The release link places the functions named in the list first, in the list's
order (lld's --symbol-ordering-file, set by bin/lifebuoy/build.rs). The kernel
maps an executable's pages at least 64 KB at a time, so a node whose executed
functions are packed together holds far fewer pages of its binary than one
whose functions are spread over the whole text (docs/performance.md, "Memory").

This runs the side-by-side bench's own cluster (testnet/bench/bench.py): N
`lifebuoy run --events-json --profile lan` nodes on 127.99.0.x, every node but
the seed joining it. Two joiners run under valgrind's callgrind, which records
every function executed (exact, unlike sampling). After the join and the
detection of one SIGKILLed member, their profiles are dumped: everything
executed until then is the first part of the list (what a bench node has
touched when its memory is read). Four other joiners run under `perf record`,
sampled at 20 kHz for their whole run, which adds what valgrind cannot show:
the C library's and the crypto assembly's variants for this CPU (valgrind
reports other CPU features, so they pick other variants under it). Every
other node but the victim runs under `perf record -e
exceptions:page_fault_user`: the kernel maps the text 64 KB around each
fault, so the function that faults first in a window outside the ordered
range is exactly one the list misses (too rare for sampling), and adding it
frees that window. Faults only show the first miss in each window: after a
relink, run again with --merge until none is reported. --merge carries a
listed name across a change of its crate's hash when, without the hash, it
names exactly one function of this build.

Then the callgrind nodes' admin API is used (members, self,
metrics, the event stream and the dashboard) and they leave gracefully: what
that adds is the second part, placed after the first so that it costs nothing
until it runs.

    cargo rustc --release -p lifebuoy-cli --bin lifebuoy -- -C target-feature=+crt-static
    python3 testnet/bench/hot_symbols.py --merge    # about 1.5 minutes
    cargo build --release -p lifebuoy-cli            # and/or the static build again

Profile the static build: it holds every function the dynamic one has (same
names; see docs/performance.md) plus the C library's. Names that a build does
not have are skipped by the linker, so one list serves both builds, and a
stale list costs memory, not correctness.

Needs valgrind (callgrind_control) and perf. Bounded: every wait has a deadline, and
every process it starts gets PR_SET_PDEATHSIG and is killed by PID at exit.
"""

import argparse
import bisect
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from scale import addr, node_cmd, pdeathsig  # noqa: E402  (the bench's own node layout)


def own_functions(binary):
    """Every function symbol the binary defines."""
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    own = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwWiI":
            own.add(f[2])
    return own


RUST_HASH = re.compile(r"17h[0-9a-f]{16}E$")


def carried(old, own):
    """The names of `old` as this build spells them.

    A Rust symbol ends in a hash of its crate's identity, which changes with
    any change upstream of the crate (a patched dependency renames every
    function of every crate that depends on it). A listed name this build
    lacks is carried over when, without its hash, it names exactly one of
    this build's functions."""
    unhashed = {}
    for n in own:
        unhashed.setdefault(RUST_HASH.sub("", n), []).append(n)
    out = old & own
    for n in old - own:
        same = unhashed.get(RUST_HASH.sub("", n), [])
        if len(same) == 1:
            out.add(same[0])
    return out


def executed(paths):
    """Function names callgrind saw run (fn=) or called (cfn=)."""
    names = set()
    pat = re.compile(r"^c?fn=(?:\(\d+\) ?)?(.+)$")
    for p in paths:
        with open(p, errors="replace") as f:
            for line in f:
                m = pat.match(line)
                if m:
                    names.add(m.group(1).strip())
    return names


def perf_symbols(paths, binary):
    """Mangled names of the binary's functions that perf sampled."""
    names = set()
    for p in paths:
        out = subprocess.run(["perf", "report", "-i", p, "--stdio", "--no-demangle", "-q", "--sort", "sym",
                              "--dsos", os.path.basename(binary)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            _, sep, sym = line.partition("[.] ")
            if sep:
                names.add(sym.strip())
    return names


def sized_functions(binary):
    """Sorted (address, size, name) of the binary's functions. Symbols without a
    size (assembly, and crtbegin.o's `frame_dummy`, which runs at start) reach
    to the next symbol."""
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW":
            rows.append([int(f[0], 16), int(f[1], 16), f[3]])
        elif len(f) == 3 and f[1] in "tTwW":
            rows.append([int(f[0], 16), 0, f[2]])
    for i, r in enumerate(rows):
        if r[1] == 0 and i + 1 < len(rows):
            r[1] = rows[i + 1][0] - r[0]
    return [tuple(r) for r in rows]


def fault_functions(paths, binary):
    """The binary's functions whose code took a page fault (the instruction
    fetched, or the instruction that read or wrote the page).

    The kernel maps a file's pages 64 KB at a time around a fault (fault-around), so
    the first function to run in each such window of the text is the one that
    faults, and a fault outside the ordered range names a function the list
    misses, one that sampling was too coarse to see or whose variant for this
    CPU valgrind does not pick. Its window stays resident because of it.
    """
    seg = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout
    # p_vaddr - p_offset of the executable segment: runtime = map start - pgoff + this + vaddr.
    delta = next(int(f[2], 16) - int(f[1], 16) for f in (l.split() for l in seg.splitlines())
                 if f and f[0] == "LOAD" and "E" in "".join(f[6:-1]))
    syms = sized_functions(binary)
    starts = [s_[0] for s_ in syms]
    mmap = re.compile(r"(\d+)/\d+: \[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+) .*r-xp (\S+)$")
    fault = re.compile(r"^\s*(\d+)\s+.*ip=(0x[0-9a-f]+)")
    names = set()
    for p in paths:
        out = subprocess.run(["perf", "script", "-i", p, "--show-mmap-events", "-F", "pid,trace"],
                             capture_output=True, text=True).stdout
        base = {}
        for line in out.splitlines():
            m = mmap.search(line)
            if m:
                if os.path.realpath(m.group(5)) == binary:
                    base[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16))
                continue
            m = fault.match(line)
            if not m or int(m.group(1)) not in base:
                continue
            start, size, pgoff = base[int(m.group(1))]
            ip = int(m.group(2), 16)
            if not start <= ip < start + size:
                continue
            va = ip - start + pgoff + delta
            i = bisect.bisect_right(starts, va) - 1
            if i >= 0 and va < syms[i][0] + max(syms[i][1], 1):
                names.add(syms[i][2])
    return names


def read_list(path):
    """The two parts of an existing list (a list without part headers is all part 1)."""
    parts, cur = (set(), set()), 0
    with open(path) as f:
        for line in f:
            if line.startswith("# Part 2"):
                cur = 1
            elif line.strip() and not line.startswith("#"):
                parts[cur].add(line.strip())
    return parts


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def wait_for(cond, timeout, step=0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lifebuoy", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "lifebuoy"))
    p.add_argument("--out", default=os.path.join(REPO, "bin", "lifebuoy", "hot-symbols.txt"))
    p.add_argument("-n", type=int, default=32, help="nodes (default 32, as the headline bench)")
    p.add_argument("--port", type=int, default=17946)
    p.add_argument("--join-wait", type=float, default=45, help="seconds from the last spawn to the kill")
    p.add_argument("--detect-wait", type=float, default=25, help="seconds from the kill to the first dump")
    # Long enough that every node's key path is 32 bytes or more, as in the bench's
    # runs: logging a path that long counts its characters with other code.
    p.add_argument("--dir", default="/tmp/lifebuoy-hot-symbols/data")
    p.add_argument("--merge", action="store_true",
                   help="keep what the current list names too (each run samples a little differently)")
    a = p.parse_args()
    for tool, pkg in (("valgrind", "valgrind"), ("callgrind_control", "valgrind"), ("perf", "linux-perf")):
        if shutil.which(tool) is None:
            sys.exit(f"hot_symbols.py: needs {tool} (apt-get install {pkg})")
    if not (2 < a.n <= 254):
        sys.exit("hot_symbols.py: -n must be 3..254")
    binary = os.path.abspath(a.lifebuoy)
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)

    procs = []
    profiled = {}  # name -> (Popen, callgrind out path, api)
    sampled = []  # (perf Popen, perf.data path, whether cpu-clock was sampled too)

    def spawn(i, under_callgrind, under_perf=None):
        name = f"a{i + 1}"
        ip, _, api_port = addr(i, a.port)
        cmd = node_cmd(binary, i, name, os.path.join(a.dir, name), a.port)
        out = os.path.join(a.dir, f"callgrind.{name}.out")
        if under_callgrind:
            cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no",
                   "--demangle=no", f"--callgrind-out-file={out}"] + cmd
        elif under_perf:
            data = os.path.join(a.dir, f"perf.{name}.data")
            events = ["-e", "exceptions:page_fault_user"]
            if under_perf == "sample":
                events = ["-F", "20000", "-e", "cpu-clock"] + events
            cmd = ["perf", "record", "-q"] + events + ["-o", data, "--"] + cmd
        log = open(os.path.join(a.dir, f"{name}.log"), "wb")
        pr = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=pdeathsig, close_fds=True)
        procs.append(pr)
        if under_callgrind:
            profiled[name] = (pr, out, f"http://{ip}:{api_port}")
        elif under_perf:
            sampled.append((pr, data, under_perf == "sample"))
        return pr

    try:
        spawn(0, False)
        time.sleep(1)
        for i in range(1, a.n - 1):
            spawn(i, i in (1, 2), "sample" if i in (3, 4, 5, 6) else "faults")
        victim = spawn(a.n - 1, False)
        print(f"{a.n} nodes started, a2 and a3 under callgrind, a4-a7 sampled by perf, the others' page faults "
              f"traced; waiting {a.join_wait:.0f} s", file=sys.stderr)
        time.sleep(a.join_wait)
        victim.send_signal(signal.SIGKILL)
        print(f"killed a{a.n}; waiting {a.detect_wait:.0f} s for its detection", file=sys.stderr)
        time.sleep(a.detect_wait)

        first = []
        for name, (pr, out, _) in profiled.items():
            before = set(glob.glob(out + "*"))
            subprocess.run(["callgrind_control", "--dump", str(pr.pid)], capture_output=True, timeout=60)
            if not wait_for(lambda: set(glob.glob(out + "*")) - before, 60):
                sys.exit(f"hot_symbols.py: callgrind did not dump {name}'s profile")
            first += sorted(set(glob.glob(out + "*")) - before)

        for name, (_, _, api) in profiled.items():
            for path in ("/v1/members", "/v1/self", "/metrics", "/healthz", "/"):
                try:
                    urllib.request.urlopen(api + path, timeout=30).read()
                except OSError as e:
                    print(f"  {name} {path}: {e}", file=sys.stderr)
            try:
                with urllib.request.urlopen(api + "/v1/events", timeout=5) as r:
                    r.read(256)
            except OSError:
                pass  # a stream with nothing new times out; what it ran is recorded
        for pr, _, _ in profiled.values():
            pr.send_signal(signal.SIGTERM)  # graceful leave; callgrind writes the rest at exit
        for name, (pr, _, _) in profiled.items():
            try:
                pr.wait(timeout=120)
            except subprocess.TimeoutExpired:
                sys.exit(f"hot_symbols.py: {name} did not exit after SIGTERM")
        # The sampled nodes: end the node, and perf writes its data and exits.
        for pr, _, _ in sampled:
            for child in children(pr.pid):
                os.kill(child, signal.SIGKILL)
        for pr, _, _ in sampled:
            try:
                pr.wait(timeout=60)
            except subprocess.TimeoutExpired:
                sys.exit("hot_symbols.py: perf did not exit")
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
        for pr in procs:
            try:
                pr.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    own = own_functions(binary)
    everything = [p for _, out, _ in profiled.values() for p in glob.glob(out + "*")]
    faulted = fault_functions([d for _, d, _ in sampled], binary) & own
    sampled_cpu = perf_symbols([d for _, d, cpu in sampled if cpu], binary)
    part1 = (executed(first) | sampled_cpu | faulted) & own
    part2 = (executed(everything) & own) - part1
    old1, old2 = read_list(a.out) if os.path.exists(a.out) else (set(), set())
    if a.merge:
        old1, old2 = carried(old1, own), carried(old2, own)
        part1 |= old1
        part2 = (part2 | old2) - part1
    if len(part1) < 1000:
        sys.exit(f"hot_symbols.py: only {len(part1)} functions recorded; is {binary} the release build?")
    with open(a.out, "w") as f:
        f.write(f"# Functions a lifebuoy bench node executes, placed first by the release link\n"
                f"# (bin/lifebuoy/build.rs). Written by testnet/bench/hot_symbols.py (N = {a.n}).\n"
                f"# Part 1 ({len(part1)}): start, join, probing, a member's crash and its detection.\n")
        f.writelines(s + "\n" for s in sorted(part1))
        f.write(f"# Part 2 ({len(part2)}): the admin API and a graceful leave.\n")
        f.writelines(s + "\n" for s in sorted(part2))
    print(f"{len(part1)} + {len(part2)} of {len(own)} functions; written to {a.out}", file=sys.stderr)
    if old1:
        new = faulted - old1
        print(f"{len(new)} functions took page faults and were not in part 1 before"
              + "".join(f"\n  {n}" for n in sorted(new)), file=sys.stderr)


if __name__ == "__main__":
    main()
