#!/usr/bin/env python3
"""Largest inputs: time and peak memory of the release binary on generated lockfiles.

  1. the most packages accepted (200,000: `app` over 1,000 chains, a vulnerable
     `smallvec 0.6.7` at the end of one), and the most bytes accepted (200,000 packages
     with 16 dependencies each, just under the 64 MiB limit): audited;
  2. a million packages (48 MB, under the size limit) and a 200 MB sparse file:
     refused, and how fast.
Against ../shared/advisory-db with a warm compiled index. Each process is started with
posix_spawn and reaped with wait4 (the child's own wall time and peak RSS).

Usage: scripts/limits.py      (builds the release binary)
"""
import os, subprocess, sys, tempfile, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
db = os.path.join(repo, "..", "shared", "advisory-db")
if not os.path.isdir(db):
    print("skip: ../shared is absent"); sys.exit(0)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import ours  # noqa: E402  (builds the release binary, says where it is)
binary = ours()
REG = 'source = "registry+https://github.com/rust-lang/crates.io-index"\n'

def chains(path, n):
    with open(path, "w") as f:
        f.write('version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n')
        f.writelines(f' "p{i}",\n' for i in range(1000))
        f.write("]\n")
        for i in range(n - 2):
            f.write(f'\n[[package]]\nname = "p{i}"\nversion = "1.0.0"\n{REG}')
            if i + 1000 < n - 2:
                f.write(f'dependencies = [\n "p{i + 1000}",\n]\n')
            elif i == n - 3:
                f.write('dependencies = [\n "smallvec",\n]\n')
        f.write(f'\n[[package]]\nname = "smallvec"\nversion = "0.6.7"\n{REG}')

def dense(path, n, fanout=16):
    with open(path, "w") as f:
        f.write('version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n "p0",\n]\n')
        for i in range(n - 2):
            deps = [f"p{j}" for j in range(i + 1, min(i + 1 + fanout, n - 2))] or ["smallvec"]
            f.write(f'\n[[package]]\nname = "p{i}"\nversion = "1.0.0"\n{REG}dependencies = [\n')
            f.writelines(f' "{d}",\n' for d in deps)
            f.write("]\n")
        f.write(f'\n[[package]]\nname = "smallvec"\nversion = "0.6.7"\n{REG}')

def compact(path, n):
    with open(path, "w") as f:
        f.write("version = 3\n")
        f.writelines(f'\n[[package]]\nname = "p{i}"\nversion = "1.0.0"\n' for i in range(n))

def sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)

def run(argv, env):
    devnull = os.open(os.devnull, os.O_WRONLY)
    errr, errw = os.pipe()
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, errw, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    os.close(errw)
    chunks = []
    while chunk := os.read(errr, 65536):
        chunks.append(chunk)
    err = b"".join(chunks).decode(errors="replace").strip()
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    os.close(devnull); os.close(errr)
    return dt, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), err

tmp = tempfile.mkdtemp(prefix="depaudit-limits-")
env = dict(os.environ, DEPAUDIT_CACHE_DIR=os.path.join(tmp, "cache"))
cases = [("200,000 packages in chains", chains, 200_000),
         ("200,000 packages, 16 deps each", dense, 200_000),
         ("1,000,000 packages", compact, 1_000_000),
         ("200 MB sparse file", sparse, 200_000_000)]
print(f"machine: {os.cpu_count()} CPUs; database {os.path.abspath(db)} (warm index)")
run([binary, "--db", db, "--offline", "-f", os.path.join(repo, "Cargo.lock")], env)  # warm the index
print(f"{'input':34} {'bytes':>12} {'exit':>4} {'time':>9} {'peak RSS':>10}  error")
for name, make, n in cases:
    path = os.path.join(tmp, "Cargo.lock")
    make(path, n)
    dt, rss, code, err = run([binary, "--db", db, "--offline", "--json", "-f", path], env)
    first_error = next((l for l in err.splitlines() if l.startswith("error:")), "")
    reason = first_error.rpartition("Cargo.lock: ")[2]
    print(f"{name:34} {os.path.getsize(path):>12,} {code:>4} {dt:>8.2f}s {rss:>7.1f} MiB  {reason}")
    os.remove(path)
