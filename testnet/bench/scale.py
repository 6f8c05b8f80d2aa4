#!/usr/bin/env python3
"""N real `lifebuoy run` processes on loopback for a while, with a few kills.

The peers harness stops at 254 agents (one /24); this runs any N on
127.99.0.1-254, wrapping onto the next UDP and API port after 254 nodes.
It starts a seed, then everyone else joining it, waits until every node
sees N members, then runs for --duration seconds. At --kill-at seconds
(comma-separated) it SIGKILLs one random non-seed node. It reports:

  join_s        first joiner spawned -> every node sees N members
  detect_s      per kill: every survivor's time from the kill to its
                "failed" event (min / median / max), and who missed it
  false_failed  failed events about nodes that were never killed
  rss_mib       VmRSS per node at the end (median / max), and CPU

Standard library only; every process is killed by PID at exit and gets
PR_SET_PDEATHSIG. Needs a release build of lifebuoy.
"""

import argparse
import ctypes
import json
import os
import random
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import time

LIBC = ctypes.CDLL("libc.so.6", use_errno=True)


def pdeathsig():
    LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def addr(i, base_port):
    ip = f"127.99.0.{1 + i % 254}"
    return ip, base_port + i // 254, 7373 + i // 254


def node_cmd(lifebuoy, i, name, data_dir, base_port):
    """The bench's `lifebuoy run` command for node i (node 0 is the seed)."""
    ip, port, api = addr(i, base_port)
    cmd = [lifebuoy, "run", "--events-json", "--profile", "lan", "--name", name,
           "--listen", f"/ip4/{ip}/udp/{port}/quic-v1", "--api", f"{ip}:{api}",
           "--data-dir", data_dir]
    if i > 0:
        sip, sport, _ = addr(0, base_port)
        cmd += ["--bootstrap", f"/ip4/{sip}/udp/{sport}/quic-v1"]
    return cmd


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=256)
    p.add_argument("--lifebuoy", required=True)
    p.add_argument("--duration", type=float, default=300)
    p.add_argument("--kill-at", default="100,200", help="seconds after convergence")
    p.add_argument("--port", type=int, default=17946)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--join-timeout", type=float, default=180)
    p.add_argument("--stagger", type=float, default=0.0, help="seconds between spawns")
    p.add_argument("--dir", default="/tmp/lifebuoy-scale")
    p.add_argument("--out", default=None)
    a = p.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    rng = random.Random(a.seed)
    sel = selectors.DefaultSelector()
    procs, members, bufs, logs = [], [], [], []
    failed = []  # (t, observer, node)
    names = [f"a{i + 1}" for i in range(a.n)]

    def spawn(i):
        cmd = node_cmd(a.lifebuoy, i, names[i], os.path.join(a.dir, names[i]), a.port)
        log = open(os.path.join(a.dir, f"{names[i]}.log"), "wb")
        pr = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=log, preexec_fn=pdeathsig, close_fds=True)
        os.set_blocking(pr.stdout.fileno(), False)
        sel.register(pr.stdout, selectors.EVENT_READ, i)
        procs.append(pr)
        members.append(set())
        bufs.append(b"")
        logs.append(log)

    def pump(timeout):
        for key, _ in sel.select(timeout):
            i = key.data
            try:
                chunk = os.read(key.fileobj.fileno(), 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fileobj)
                continue
            bufs[i] += chunk
            *lines, bufs[i] = bufs[i].split(b"\n")
            now = time.monotonic()
            for line in lines:
                if not line.startswith(b"{"):
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("ev") == "join":
                    members[i].add(ev["node"])
                elif ev.get("ev") == "leave":
                    members[i].discard(ev["node"])
                    if ev.get("state") == "dead":
                        failed.append((now, i, ev["node"]))

    def wait(cond, timeout):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                return False
            pump(0.05)
        return True

    res = {"n": a.n, "duration_s": a.duration}
    try:
        spawn(0)
        wait(lambda: names[0] in members[0], 15)
        t0 = time.monotonic()
        for i in range(1, a.n):
            spawn(i)
            pump(0)
            if a.stagger:
                wait(lambda: False, a.stagger)
        res["spawn_all_s"] = round(time.monotonic() - t0, 3)
        ok = wait(lambda: all(len(m) >= a.n for m in members), a.join_timeout)
        res["join_s"] = round(time.monotonic() - t0, 3) if ok else None
        print(f"join: {res['join_s']} s (spawning took {res['spawn_all_s']} s)", flush=True)
        t_conv = time.monotonic()
        kills = []
        for at in [float(x) for x in a.kill_at.split(",") if x]:
            wait(lambda: False, max(0.0, t_conv + at - time.monotonic()))
            alive = [i for i in range(1, a.n) if procs[i].poll() is None]
            v = rng.choice(alive)
            tk = time.monotonic()
            procs[v].kill()
            kills.append((tk, v, [i for i in alive if i != v] + [0]))
            print(f"killed {names[v]} at +{at:.0f} s", flush=True)
        wait(lambda: False, max(0.0, t_conv + a.duration - time.monotonic()))
        killed = {names[v] for _, v, _ in kills}
        res["false_failed"] = [(round(t - t_conv, 1), names[o], n) for t, o, n in failed if n not in killed]
        res["kills"] = []
        for tk, v, at_kill in kills:
            # Expected to detect: alive at the kill and still alive at the end.
            survivors = [i for i in at_kill if procs[i].poll() is None]
            times = {}
            for t, o, n in failed:
                if n == names[v] and t >= tk and o not in times:
                    times[o] = t - tk
            d = sorted(times.values())
            missed = [names[i] for i in survivors if i not in times]
            res["kills"].append({"victim": names[v], "detected_by": len(d), "survivors": len(survivors),
                                 "missed": missed[:10], "missed_count": len(missed),
                                 "min_s": round(d[0], 3) if d else None,
                                 "median_s": round(statistics.median(d), 3) if d else None,
                                 "max_s": round(d[-1], 3) if d else None})
        rss, cpu = [], []
        tick = os.sysconf("SC_CLK_TCK")
        for pr in procs:
            if pr.poll() is not None:
                continue
            try:
                with open(f"/proc/{pr.pid}/status") as f:
                    rss += [int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS")]
                with open(f"/proc/{pr.pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                    cpu.append((int(st[11]) + int(st[12])) / tick)
            except OSError:
                pass
        run_s = time.monotonic() - t0
        res["rss_mib"] = {"median": round(statistics.median(rss), 1), "max": round(max(rss), 1)}
        res["cpu_millicores_per_node_since_start"] = round(1000 * statistics.mean(cpu) / run_s, 2)
        res["views_whole_at_end"] = sum(
            1 for i, pr in enumerate(procs) if pr.poll() is None and len(members[i]) == a.n - len(kills))
        res["loadavg"] = os.getloadavg()
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
        for pr in procs:
            pr.wait()
        for log in logs:
            log.close()
    print(json.dumps(res, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
