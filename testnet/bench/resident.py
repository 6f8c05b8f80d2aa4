#!/usr/bin/env python3
"""Which pages of its own executable a running process holds, and why.

    sudo python3 testnet/bench/resident.py PID [--list bin/lifebuoy/hot-symbols.txt]

Reads /proc/PID/maps and /proc/PID/pagemap (root: the present bit), maps
every resident page of the executable back to its ELF section and to the
functions in it (`nm`, `readelf`), and prints:

- resident kB per section (.text, .rodata, .data.rel.ro, ...);
- for .text, how much lies inside the ordered hot range (the functions of
  the hot list, which the release link places first) and, outside it, each
  run of resident pages with the functions it holds. A run outside the
  range is the kernel's fault-around window (64 KB) around some function
  the list does not name: those are the names to add, or the code to stop
  running.

Standard library plus binutils; reads /proc, changes nothing.
"""

import argparse
import bisect
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hot_symbols import read_list, sized_functions  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def sections(binary):
    """(name, vaddr, size) of every allocated section, by address."""
    out = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        line = line.replace("[ ", "[")
        f = line.split()
        if len(f) > 6 and f[0].startswith("[") and f[0].endswith("]") and f[1].startswith("."):
            addr, size = int(f[3], 16), int(f[5], 16)
            if addr and size:
                found.append((f[1], addr, size))
    return sorted(found, key=lambda s: s[1])


def exe_maps(pid, exe):
    """(start, end, file offset) of every mapping of the executable."""
    maps = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            f_ = line.split()
            if len(f_) > 5 and f_[5] == exe:
                lo, hi = (int(x, 16) for x in f_[0].split("-"))
                maps.append((lo, hi, int(f_[2], 16)))
    return maps


def resident_pages(pid, ranges):
    """Runtime addresses of present pages in the given ranges."""
    pages = []
    with open(f"/proc/{pid}/pagemap", "rb") as pm:
        for lo, hi in ranges:
            pm.seek(lo // PAGE * 8)
            data = pm.read((hi - lo) // PAGE * 8)
            for i, (entry,) in enumerate(struct.iter_unpack("<Q", data)):
                if entry >> 63 & 1:
                    pages.append(lo + i * PAGE)
    return pages


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pid", type=int)
    p.add_argument("--list", default=os.path.join(os.path.dirname(__file__), "../../bin/lifebuoy/hot-symbols.txt"))
    p.add_argument("--show", type=int, default=40, help="runs outside the hot range to print")
    a = p.parse_args()

    exe = os.readlink(f"/proc/{a.pid}/exe").removesuffix(" (deleted)")
    maps = exe_maps(a.pid, exe)
    # PIE: runtime = base + vaddr, base being where offset 0 is mapped (the
    # first segment's vaddr is 0); static-pie too.
    base = next((lo for lo, _, off in maps if off == 0), None)
    if base is None:
        raise SystemExit(f"{a.pid}: no mapping of {exe} at offset 0")
    secs = sections(exe)
    funcs = sized_functions(exe)
    starts = [s[0] for s in funcs]
    pages = [pg - base for pg in resident_pages(a.pid, [(lo, hi) for lo, hi, _ in maps])]

    per = {}
    sec_starts = [s[1] for s in secs]
    for va in pages:
        i = bisect.bisect_right(sec_starts, va + PAGE - 1) - 1
        # A page may hold the end of one section and the start of the next: name the later one.
        name = secs[i][0] if i >= 0 and va < secs[i][1] + secs[i][2] + PAGE else "(headers)"
        per[name] = per.get(name, 0) + PAGE // 1024
    print(f"{exe}: {len(pages) * PAGE // 1024} kB of its pages resident")
    for name, kb in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<24} {kb:>7} kB")

    listed = set().union(*read_list(a.list)) if os.path.exists(a.list) else set()
    hot = sorted((va, va + sz) for va, sz, n in funcs if n in listed)
    text = next((s for s in secs if s[0] == ".text"), None)
    if not hot or not text:
        return
    # The ordered range: listed functions from the lowest on, up to the first
    # gap of more than a fault-around window (a listed name the linker could
    # not move, in a section shared with unlisted code, lies beyond it).
    lo, hi = hot[0]
    for start, end in hot[1:]:
        if start > hi + 65536:
            break
        hi = max(hi, end)
    tpages = [va for va in pages if text[1] <= va < text[1] + text[2]]
    inside = sum(1 for va in tpages if lo - PAGE < va < hi)
    print(f"\n.text: hot range {hi - lo >> 10} kB ({len(hot)} listed functions found); "
          f"resident inside it {inside * PAGE >> 10} kB, outside {(len(tpages) - inside) * PAGE >> 10} kB")

    runs = []
    for va in tpages:
        if lo - PAGE < va < hi:
            continue
        if runs and runs[-1][1] == va:
            runs[-1][1] = va + PAGE
        else:
            runs.append([va, va + PAGE])
    for r0, r1 in runs[: a.show]:
        i = max(0, bisect.bisect_right(starts, r0) - 1)
        names = []
        while i < len(funcs) and funcs[i][0] < r1:
            va, sz, n = funcs[i]
            if va + sz > r0:
                names.append((n in listed, sz, n))
            i += 1
        big = sorted(names, key=lambda t: -t[1])[:4]
        print(f"  {r0:#x}+{(r1 - r0) >> 10:>3} kB: {len(names)} functions, {sum(t[0] for t in names)} listed; "
              + ", ".join(f"{n[:70]}({sz})" for _, sz, n in big))
    if len(runs) > a.show:
        print(f"  ... {len(runs) - a.show} more runs")


if __name__ == "__main__":
    main()
