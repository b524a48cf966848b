#!/usr/bin/env python3
"""Binaries: cargo-depaudit against `cargo audit bin`, side by side, in one run.

  1. findings parity on each given binary: the (kind, id, crate, version) sets of
     `cargo depaudit bin --json` and `cargo audit --json bin`, same database, no fetch;
  2. one binary, warm: median wall time of each (runs interleaved);
  3. a tree of 2,000 files holding 100 binaries (copies of the given ones among small
     text files): `scan --binaries` (its file walk included) against `cargo audit bin`
     run once per binary (the binaries listed for it, no walk charged to it).

Both run without the yanked check (`--no-yanked`), so neither reads an index.

Usage: scripts/bench-bin.py [--runs N] BINARY...   (binaries built with cargo auditable;
       cargo-depaudit: $DEPAUDIT_BIN, else a release build;
       cargo-audit: $CARGO_AUDIT, PATH, or installed into $TMPDIR)
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
db = os.path.join(repo, "..", "shared", "advisory-db")
args = sys.argv[1:]
runs = 11
if "--runs" in args:
    i = args.index("--runs")
    runs = int(args[i + 1])
    del args[i:i + 2]
binaries = [os.path.abspath(b) for b in args]
if not os.path.isdir(db):
    print("skip: ../shared is absent"); sys.exit(0)
if not binaries:
    sys.exit(__doc__)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import cargo_audit, ours, reference_set  # noqa: E402

CA = cargo_audit()
OURS = os.environ.get("DEPAUDIT_BIN") or ours()  # a release build already made
env = dict(os.environ, NO_COLOR="1")
cache = tempfile.mkdtemp(prefix="bench-bin-cache-")
env["DEPAUDIT_CACHE_DIR"] = cache

def spawn(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    os.waitpid(pid, 0)
    dt = time.perf_counter() - t0
    os.close(devnull)
    return dt

def mine_bin(b):
    return [OURS, "bin", b, "--db", db, "-n", "--no-yanked", "--json"]

def theirs_bin(b):
    return [CA, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json", "bin", b]

# 1. parity
for b in binaries:
    ref = reference_set(subprocess.run(theirs_bin(b), capture_output=True, text=True, env=env).stdout)
    out = json.loads(subprocess.run(mine_bin(b), capture_output=True, text=True, env=env).stdout)
    mine = {(f["kind"], (f["advisory"] or {}).get("id", "yanked"), f["package"]["name"],
             f["package"]["version"]) for f in out["findings"] if not f["ignored"]}
    same = "identical" if mine == ref else f"DIFFERENT: only cargo audit {sorted(ref - mine)}, only ours {sorted(mine - ref)}"
    print(f"parity {os.path.basename(b)}: {len(ref)} findings, {same}")

# 2. one binary
spawn(mine_bin(binaries[0])); spawn(theirs_bin(binaries[0]))  # warm caches
a, t = [], []
for _ in range(runs):
    a.append(spawn(mine_bin(binaries[0])))
    t.append(spawn(theirs_bin(binaries[0])))
ma, mt = statistics.median(a), statistics.median(t)
print(f"one binary ({os.path.basename(binaries[0])}): cargo-depaudit {ma*1000:.1f} ms, "
      f"cargo audit bin {mt*1000:.1f} ms: {mt/ma:.1f}x faster")

# 3. a tree of 2,000 files with 100 binaries
root = tempfile.mkdtemp(prefix="bench-bin-tree-")
copies = []
for i in range(100):
    d = os.path.join(root, f"pkg{i // 10}", "bin")
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, f"tool{i}")
    shutil.copy(binaries[i % len(binaries)], p)
    copies.append(p)
for i in range(1900):
    d = os.path.join(root, f"pkg{i % 10}", "share", f"d{i % 37}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.txt"), "w") as f:
        f.write("plain text file %d\n" % i * 20)
scan = [OURS, "scan", "--binaries", root, "--db", db, "-n", "--no-yanked", "-q"]
spawn(scan)
s = statistics.median(spawn(scan) for _ in range(max(3, runs // 3)))
per = statistics.median(spawn(theirs_bin(c)) for c in copies[:10])
theirs_total = per * len(copies)
print(f"tree of 2,000 files / 100 binaries: scan --binaries {s*1000:.0f} ms, "
      f"cargo audit bin once per binary {theirs_total*1000:.0f} ms "
      f"(median {per*1000:.1f} ms x 100): {theirs_total/s:.1f}x faster")
shutil.rmtree(root)
shutil.rmtree(cache)
