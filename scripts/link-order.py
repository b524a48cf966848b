#!/usr/bin/env python3
"""Regenerate link-order.txt: the functions a typical run executes, in the order the
release link should place them.

Why: the release binary is ~4 MB of code and data (the network build, `depaudit-net`,
~11 MB), and a warm audit runs ~450 functions scattered across it. The kernel maps file
pages around each fault (64 KiB at a time), so scattered code costs ~3.7 MiB of
resident memory; laid out together it costs ~1 MiB. build.rs hands this file to the
linker (lld's --symbol-ordering-file), which places the listed functions first, in this
order. Names it no longer finds (after a code or toolchain change) are skipped
silently: a stale file only makes the binary as large in memory as without it, never
wrong. Re-run this script when the bench shows the RSS creeping up.

How: build the release binary, run representative commands under valgrind's callgrind
(audit as JSON and as a table, with and without the yanked check, a scan), and list every
function of the binary they executed, first-seen first, commonest workload first.

Usage: scripts/link-order.py   (needs valgrind and ../shared)
"""
import os, re, shutil, subprocess, sys, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(repo, "..", "shared")
db = os.path.join(shared, "advisory-db")
corpus = os.path.join(shared, "corpus", "lockfiles")
if not os.path.isdir(db) or shutil.which("valgrind") is None:
    print("skip: needs ../shared and valgrind"); sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import ours, pick  # noqa: E402  (same build and lockfile choice)

binary = ours()
# Defined function symbols of the binary, by their mangled names (what lld matches).
nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True,
                    check=True).stdout
functions = {parts[2] for parts in (l.split() for l in nm.splitlines())
             if len(parts) == 3 and parts[1] in "tT"}

cache = tempfile.mkdtemp(prefix="depaudit-order-")
env = dict(os.environ, DEPAUDIT_CACHE_DIR=cache)
small, large = pick(400)[0], pick(1100)[0]
scan_root = tempfile.mkdtemp(prefix="depaudit-order-scan-")
for d in sorted(os.listdir(corpus))[:20]:
    os.makedirs(os.path.join(scan_root, d))
    shutil.copy(os.path.join(corpus, d, "Cargo.lock"), os.path.join(scan_root, d, "Cargo.lock"))
common = ["--db", db, "--offline"]
workloads = [
    common + ["--no-yanked", "--json", "-f", small],
    common + ["-f", small],
    common + ["--json", "-f", large],
    common + ["--format", "markdown", "-f", large],
    ["scan", scan_root, "-q", "-o", os.devnull] + common,
    ["--version"],
]
order, seen = [], set()
name_line = re.compile(r"^c?fn=\(\d+\) (.+)$")
for args in workloads:
    argv = [binary] + args
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
    with tempfile.NamedTemporaryFile(prefix="callgrind-") as out:
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no",
                        f"--callgrind-out-file={out.name}"] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for line in open(out.name, errors="replace"):
            m = name_line.match(line)
            if m and m.group(1) in functions and m.group(1) not in seen:
                seen.add(m.group(1))
                order.append(m.group(1))
shutil.rmtree(cache, ignore_errors=True)
shutil.rmtree(scan_root, ignore_errors=True)
with open(os.path.join(repo, "link-order.txt"), "w") as f:
    f.write("\n".join(order) + "\n")
print(f"link-order.txt: {len(order)} functions")
