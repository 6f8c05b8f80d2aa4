#!/usr/bin/env python3
"""Where a process's resident set is: /proc/PID/smaps summed by kind.

    python3 testnet/bench/smaps.py PID [PID ...]
    python3 testnet/bench/smaps.py --name lifebuoy      # every process so named

For each process it prints VmRSS and its split into the executable's text
(r-x), read-only data (r--), written data (rw-p of the executable and its
.bss), shared libraries, heap and other anonymous memory, and stacks, in
kB; with several processes, the median of each. Standard library only;
reads /proc, changes nothing.
"""

import argparse
import os
import statistics
import sys

KINDS = ["text", "rodata", "data", "libs", "heap", "anon", "stack", "other"]


def exe_path(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return None


def breakdown(pid):
    exe = exe_path(pid)
    out = dict.fromkeys(KINDS, 0)
    kind = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if not head:
                continue
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                perms = head[1]
                path = head[5] if len(head) > 5 else ""
                if path == exe:
                    kind = "text" if "x" in perms else ("data" if "w" in perms else "rodata")
                elif path.startswith("/"):
                    kind = "libs"
                elif path == "[heap]":
                    kind = "heap"
                elif path.startswith("[stack"):
                    kind = "stack"
                elif path == "":
                    # The executable's .bss follows its data mapping anonymously.
                    kind = "data" if kind == "data" else "anon"
                else:
                    kind = "other"
            elif head[0] == "Rss:":
                out[kind] += int(head[1])
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def pids_named(name):
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == name:
                        found.append(int(d))
            except OSError:
                pass
    return sorted(found)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pids", nargs="*", type=int)
    p.add_argument("--name", help="every process whose comm is NAME")
    a = p.parse_args()
    pids = a.pids + (pids_named(a.name) if a.name else [])
    if not pids:
        p.error("no process: give PIDs or --name")
    rows = []
    for pid in pids:
        try:
            rows.append((pid, breakdown(pid)))
        except OSError as e:
            print(f"{pid}: {e}", file=sys.stderr)
    cols = ["VmRSS", "RssFile", "RssAnon"] + KINDS
    print("pid      " + " ".join(f"{c:>8}" for c in cols))
    for pid, r in rows:
        print(f"{pid:<8} " + " ".join(f"{r.get(c, 0):>8}" for c in cols))
    if len(rows) > 1:
        med = [statistics.median(r.get(c, 0) for _, r in rows) for c in cols]
        print(f"{'median':<8} " + " ".join(f"{m:>8.0f}" for m in med))


if __name__ == "__main__":
    main()
