#!/usr/bin/env python3
"""Reachability on real workspaces: the verdicts, and the time it adds, side by side.

For each workspace in ../shared/workspaces (copied to a temp dir; the originals are never
touched), audits it with and without `--no-reachability`, interleaved, and prints the
median wall times, the difference, and the verdict counts of the findings whose advisory
lists affected functions. Sources are cargo's unpacked registry sources: run `cargo fetch`
in a copy first (the fix script's runs leave them) so they are warm.

Usage: scripts/reachability.py [--runs N] [--db DIR] [WORKSPACE...]
Targets: at most 1 s added to a ~400-package audit with warm sources, at most 20 ms when
no finding has function data.
"""
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
sys.path.insert(0, here)
from parity import ours  # noqa: E402  (same release build)

args = sys.argv[1:]
runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 11
db = args[args.index("--db") + 1] if "--db" in args else os.path.join(repo, "..", "shared", "advisory-db")
named = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--runs", "--db"))]
shared = os.path.join(repo, "..", "shared", "workspaces")
workspaces = named or sorted(os.path.join(shared, d) for d in os.listdir(shared)
                             if os.path.isdir(os.path.join(shared, d)))
dp = ours()


def run(argv, cwd):
    t = time.perf_counter()
    out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t, out


print(f"{'workspace':42s} {'pkgs':>5s} {'with':>9s} {'without':>9s} {'added':>9s}  verdicts")
for ws in workspaces:
    tmp = tempfile.mkdtemp(prefix="depaudit-reach-")
    copy = os.path.join(tmp, "ws")
    shutil.copytree(ws, copy, symlinks=True)
    base = [dp, "--db", db, "-n", "--no-yanked", "--json"]
    with_r, without = [], []
    report = None
    for _ in range(runs):
        t, out = run(base, copy)
        with_r.append(t)
        report = out.stdout
        t, _ = run(base + ["--no-reachability"], copy)
        without.append(t)
    try:
        v = json.loads(report)
    except json.JSONDecodeError:
        print(f"{os.path.basename(ws):42s} audit failed")
        shutil.rmtree(tmp, ignore_errors=True)
        continue
    states = collections.Counter(f["reachability"]["state"] for f in v["findings"] if "reachability" in f)
    a, b = statistics.median(with_r), statistics.median(without)
    pkgs = v["lockfile"]["packages"]
    print(f"{os.path.basename(ws)[:42]:42s} {pkgs:5d} {a*1000:7.1f}ms {b*1000:7.1f}ms {(a-b)*1000:7.1f}ms  "
          + (", ".join(f"{k} {n}" for k, n in sorted(states.items())) or "no finding has function data"))
    shutil.rmtree(tmp, ignore_errors=True)
