#!/usr/bin/env python3
"""lifebuoy against HashiCorp Serf, back to back, on this machine.

For every N in --sizes, runs the peers harness (../shared/peers/bench_detect.py,
which starts N agents on 127.99.0.x, kills --kills of them with SIGKILL one
after another, and counts CPU, RSS and nftables bytes) once with `serf agent`
and once with `lifebuoy run`, with the same N, kills, victims (--seed) and
windows. Then writes, under --out:

  results.json      every run's JSON plus every survivor's detection time
  summary.md        one Markdown table, one row per (N, implementation)
  detect_cdf.svg    detection-latency CDFs (all kills pooled), one curve per run
  bytes_vs_n.svg    bytes sent per node per second against N

Needs root (nftables counters; without it pass --no-nft and lose the bytes),
python3, nft, the Serf binary from ../shared/peers/build_peers.sh, and a
release build of lifebuoy (cargo build --release -p lifebuoy-cli).
Standard library only.
"""

import argparse
import json
import os
import sys
import time

import svg


def load_harness(peers_dir):
    sys.path.insert(0, peers_dir)
    import bench_detect  # noqa: E402  (the peers harness, stdlib only)

    return bench_detect


def run_one(bd, argv):
    """Runs bench_detect in-process and also returns every survivor's
    detection time: the harness only keeps per-kill summaries, so the raw
    lists are captured from its `summ` helper."""
    captured = []
    orig = bd.summ

    def summ(xs, nd=3):
        out = orig(xs, nd)
        captured.append((out, list(xs)))
        return out

    bd.summ = summ
    sys.argv = ["bench_detect.py"] + argv
    p_out = argv[argv.index("--out") + 1]
    try:
        rc = bd.main()
    finally:
        bd.summ = orig
    if rc != 0 or not os.path.exists(p_out):
        return None, []
    with open(p_out) as f:
        res = json.load(f)
    raw = []
    for k in res.get("kills", []):
        for out, xs in captured:
            if out is not None and out == k.get("detect_s"):
                raw.extend(xs)
                break
    return res, sorted(raw)


def row(name, n, res, raw):
    st = res.get("steady", {})
    net = st.get("net", {})
    j = res.get("join", {})
    q = lambda p: raw[min(len(raw) - 1, int(p * len(raw)))] if raw else None
    fmt = lambda x, d=2: "-" if x is None else f"{x:.{d}f}"
    return "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        n, name, fmt(q(0.5)), fmt(q(0.9)), fmt(raw[-1] if raw else None),
        fmt(net.get("avg_total_bytes_per_s_per_agent"), 0),
        fmt(st.get("cpu_per_agent_millicores", {}).get("mean")),
        fmt(st.get("rss_per_agent_mib", {}).get("median"), 1),
        fmt(j.get("converged_after_first_joiner_spawn_s")),
        fmt(st.get("other_host_cpu_pct_of_one_core"), 0),
    )


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="16,32,64,128")
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--settle", type=float, default=None, help="default 30 s (N<=32) or 90 s")
    p.add_argument("--window", type=float, default=None, help="default 30 s (N<=32) or 60 s")
    p.add_argument("--impls", default="serf,lifebuoy")
    p.add_argument("--peers-dir", default=os.environ.get(
        "PEERS_DIR", os.path.join(os.path.dirname(repo), "shared", "peers")))
    p.add_argument("--lifebuoy", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target")), "release", "lifebuoy"))
    p.add_argument("--profile", default="lan")
    p.add_argument("--out", default=os.path.join("/tmp", "lifebuoy-bench", time.strftime("%Y%m%d-%H%M%S")))
    p.add_argument("--no-nft", action="store_true")
    a = p.parse_args()
    if not os.path.exists(os.path.join(a.peers_dir, "bench_detect.py")):
        p.error(f"no bench_detect.py in {a.peers_dir}: pass --peers-dir (see testnet/bench/README.md)")
    impls = a.impls.split(",")
    if "lifebuoy" in impls and not os.access(a.lifebuoy, os.X_OK):
        p.error(f"{a.lifebuoy} not found: cargo build --release -p lifebuoy-cli, or pass --lifebuoy")
    sizes = [int(x) for x in a.sizes.split(",")]
    os.makedirs(a.out, exist_ok=True)
    bd = load_harness(a.peers_dir)
    data = []
    for n in sizes:
        settle = a.settle if a.settle is not None else (30 if n <= 32 else 90)
        window = a.window if a.window is not None else (30 if n <= 32 else 60)
        for impl in impls:
            out = os.path.join(a.out, f"{impl}-n{n}.json")
            argv = ["-n", str(n), "--kills", str(a.kills), "--seed", str(a.seed),
                    "--settle", str(settle), "--window", str(window), "--profile", a.profile,
                    "--label", f"{impl}-{a.profile}", "--out", out]
            if a.no_nft:
                argv.append("--no-nft")
            if impl == "serf":
                argv += ["--impl", "serf"]
            else:
                data_dir = os.path.join(a.out, "data")
                argv += ["--impl", "custom", "--agent-cmd",
                         f"{a.lifebuoy} run --events-json --profile {a.profile} --name {{name}} "
                         f"--listen /ip4/{{ip}}/udp/{{port}}/quic-v1 --api {{ip}}:7373 "
                         f"--data-dir {data_dir}/n{n}-{{name}} {{join_flag}}",
                         "--join-template", "--bootstrap /ip4/{seed_ip}/udp/{seed_port}/quic-v1"]
            print(f"=== {impl} N={n}", flush=True)
            res, raw = run_one(bd, argv)
            if res is None:
                print(f"run failed: {impl} N={n}", flush=True)
                continue
            data.append({"impl": impl, "n": n, "detect_s": raw, "result": res})
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    lines = ["| N | implementation | detection median s | p90 s | max s | bytes/s/node | CPU millicores/node | RSS MiB/node | join s | other host CPU % |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for d in data:
        lines.append(row(d["impl"], d["n"], d["result"], d["detect_s"]))
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    curves = [(f'{d["impl"]} N={d["n"]}', d["detect_s"]) for d in data if d["detect_s"]]
    svg.cdf(os.path.join(a.out, "detect_cdf.svg"), curves,
            "Detection after SIGKILL (every survivor, all kills)", "seconds")
    series = {}
    for d in data:
        b = d["result"].get("steady", {}).get("net", {}).get("avg_total_bytes_per_s_per_agent")
        if b is not None:
            series.setdefault(d["impl"], []).append((d["n"], b))
    svg.lines(os.path.join(a.out, "bytes_vs_n.svg"), series,
              "Bytes sent per node (IP level, all traffic)", "N", "bytes/s")
    print("\n".join(lines))
    print(f"written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
