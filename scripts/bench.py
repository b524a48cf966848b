#!/usr/bin/env python3
"""Benchmark: cargo-depaudit against `cargo audit`, side by side, in one run.

Prints medians and ratios for
  1. a single audit with a warm cache on the ~400- and ~1,100-package corpus lockfiles
     (time and peak RSS), against `cargo audit --no-fetch --no-yanked`, then both with
     the yanked check;
  2. a cold start against `cargo audit`: nothing cached at all, and no compiled index
     only;
  3. a scan of 1,000 lockfiles (the corpus repeated in a temp dir) against running
     `cargo audit` once per lockfile (both without the yanked check), and the
     per-lockfile cost at 100 and 1,000;
  4. `history` on the first-parent history of three real repositories (bare mirrors cloned
     from ../shared/git/*.bundle) against the naive loop a team would write: git log for
     the commits that change a Cargo.lock, then `git show COMMIT:PATH` and `cargo audit`
     per lockfile revision (scripts/history-check.py's loop, imported).
Runs of the two tools are interleaved, so a slow stretch of a shared machine weighs on
both sides. Each process is started with posix_spawn and reaped with wait4, so the times are the
child's own wall time. Peak RSS is measured through GNU time (`/usr/bin/time -f %M`): a
child spawned straight from Python reports Python's own peak RSS (vfork shares the
parent's memory until exec, and the kernel folds that high-water mark into the child's
ru_maxrss), which made both tools look like ~15 MiB.

Usage: scripts/bench.py [--runs N] [--history-only]
       (cargo-audit: $CARGO_AUDIT, PATH, or installed into $TMPDIR)
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(repo, "..", "shared")
db = os.path.join(shared, "advisory-db")
corpus = os.path.join(shared, "corpus", "lockfiles")
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 31
if not os.path.isdir(db):
    print("skip: ../shared is absent"); sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import cargo_audit, ours, pick  # noqa: E402  (same install/build/pick logic)

def spawn(argv, env):
    devnull = os.open(os.devnull, os.O_WRONLY)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    os.close(devnull)
    return dt, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)

GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

def peak_rss(argv, env, n=5):
    """Median peak RSS in MiB, through GNU time (None without it)."""
    if GNU_TIME is None:
        return None
    samples = []
    for _ in range(n):
        with tempfile.NamedTemporaryFile("r") as out:
            spawn([GNU_TIME, "-f", "%M", "-o", out.name] + argv, env)
            samples.append(int(out.read().split()[-1]) / 1024.0)
    return statistics.median(samples)

def measure(argv, env, n=runs, rss=True):
    samples = [spawn(argv, env)[0] for _ in range(n)]
    return statistics.median(samples), (peak_rss(argv, env) if rss else None)

def measure_pair(mine, theirs, env, n=runs, rss=True):
    """Both commands, runs interleaved (so a slower stretch of a shared machine weighs
    on both sides alike): median times, and peak RSS."""
    a, b = [], []
    for _ in range(n):
        a.append(spawn(mine, env)[0])
        b.append(spawn(theirs, env)[0])
    ra, rb = (peak_rss(mine, env), peak_rss(theirs, env)) if rss else (None, None)
    return (statistics.median(a), ra), (statistics.median(b), rb)

ca, dp = cargo_audit(), ours()
cache = tempfile.mkdtemp(prefix="depaudit-bench-")
env = dict(os.environ, DEPAUDIT_CACHE_DIR=cache)

def history_section():
    """`history` against the naive loop on the three repositories' first-parent histories:
    ours is the median of `runs` runs (half before the naive loop, half after), the naive
    loop (sequential, as written) runs once."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "history_check", os.path.join(os.path.dirname(os.path.abspath(__file__)), "history-check.py"))
    hc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hc)
    repos = hc.clone_bundles()
    print("history: first-parent history of a repository, `history` against git log + git show +")
    print("cargo audit once per lockfile revision")
    if not repos:
        print("  skip: ../shared/git/*.bundle is absent")
        return
    print("  repository      commits  lockfile revisions     ours    naive loop   speed-up  revisions/s")
    for repo_dir in repos:
        mine = [dp, "history", repo_dir, "--db", db, "-n", "--format", "json", "-o", os.devnull]
        spawn(mine, env)  # warm the compiled index
        report = hc.our_history(dp, repo_dir, db=db)
        revs, commits = report["lockfile_revisions"], report["commits"]
        samples = [spawn(mine, env)[0] for _ in range((runs + 1) // 2)]
        t0 = time.perf_counter()
        _, _, audited = hc.naive_windows(repo_dir, ca, db=db)
        t_naive = time.perf_counter() - t0
        samples += [spawn(mine, env)[0] for _ in range(runs // 2)]
        t = statistics.median(samples)
        name = os.path.basename(repo_dir)[:-len(".git")]
        print(f"  {name:17s} {commits:5d}  {revs:5d} (naive {audited:3d})  {t*1000:7.1f} ms"
              f"  {t_naive:8.1f} s   {t_naive/t:6.0f}x   {revs/t:8.0f}")
    shutil.rmtree(os.path.dirname(repos[0]), ignore_errors=True)

print(f"machine: {os.cpu_count()} CPUs; medians of {runs} runs; database {os.path.abspath(db)}")
print()
if "--history-only" in sys.argv:
    history_section()
    shutil.rmtree(cache, ignore_errors=True)
    sys.exit(0)
print("single audit, warm cache          ours        cargo audit   speed-up   RSS ours / theirs")
for target in (400, 1100):
    lock, n = pick(target)
    mine = [dp, "--db", db, "--offline", "--no-yanked", "--json", "-f", lock]
    theirs = [ca, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json", "-f", lock]
    spawn(mine, env)  # warm the compiled index
    (t1, r1), (t2, r2) = measure_pair(mine, theirs, env)
    rss = f"{r1:5.1f} / {r2:5.1f} MiB ({r1/r2:.2f})" if r1 and r2 else "n/a (no GNU time)"
    print(f"  {n:5d} packages            {t1*1000:8.2f} ms  {t2*1000:8.2f} ms   {t2/t1:6.1f}x    {rss}")

print()
print("single audit with the yanked check on both sides (cargo's local index cache, offline)")
for target in (400, 1100):
    lock, n = pick(target)
    mine = [dp, "--db", db, "--offline", "--json", "-f", lock]
    theirs = [ca, "audit", "--db", db, "--no-fetch", "--json", "-f", lock]
    spawn(mine, env)
    (t1, r1), (t2, r2) = measure_pair(mine, theirs, env)
    rss = f"{r1:5.1f} / {r2:5.1f} MiB ({r1/r2:.2f})" if r1 and r2 else "n/a (no GNU time)"
    print(f"  {n:5d} packages            {t1*1000:8.2f} ms  {t2*1000:8.2f} ms   {t2/t1:6.1f}x    {rss}")

print()
print("cold start, interleaved with cargo audit: nothing cached (no compiled index, no")
print("registry digest), and no compiled index only (cargo's files already digested)")
for target in (400, 1100):
    lock, n = pick(target)
    mine = [dp, "--db", db, "--offline", "--no-yanked", "--json", "-f", lock]
    theirs = [ca, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json", "-f", lock]
    warm_registry = tempfile.mkdtemp(prefix="depaudit-reg-")
    spawn(mine, dict(os.environ, DEPAUDIT_CACHE_DIR=warm_registry))
    nothing, no_index, t_ca = [], [], []
    for _ in range(runs):
        fresh = tempfile.mkdtemp(prefix="depaudit-cold-")
        nothing.append(spawn(mine, dict(os.environ, DEPAUDIT_CACHE_DIR=fresh))[0])
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(os.path.join(warm_registry, "index"), ignore_errors=True)
        no_index.append(spawn(mine, dict(os.environ, DEPAUDIT_CACHE_DIR=warm_registry))[0])
        t_ca.append(spawn(theirs, env)[0])
    shutil.rmtree(warm_registry, ignore_errors=True)
    a, b, c = (statistics.median(x) for x in (nothing, no_index, t_ca))
    print(f"  {n:5d} packages: ours {a*1000:.1f} ms ({c/a:.2f}x) / {b*1000:.1f} ms ({c/b:.2f}x),"
          f" cargo audit {c*1000:.1f} ms")

print()
print("scan of many lockfiles")
work = tempfile.mkdtemp(prefix="depaudit-scan-")
locks = sorted(os.path.join(corpus, d, "Cargo.lock") for d in os.listdir(corpus))
def tree(count):
    root = os.path.join(work, str(count))
    for i in range(count):
        d = os.path.join(root, f"repo{i:04d}")
        os.makedirs(d)
        shutil.copy(locks[i % len(locks)], os.path.join(d, "Cargo.lock"))
    return root
per = {}
for count in (100, 1000):
    root = tree(count)
    # The same options as cargo audit below: no yanked check.
    t, rss = measure([dp, "scan", root, "--db", db, "--offline", "--no-yanked", "-q", "-o",
                      os.devnull], env, 3, rss=count == 1000)
    per[count] = t / count
    print(f"  {count:5d} lockfiles: ours {t:.3f} s total, {per[count]*1000:.3f} ms per lockfile"
          + (f", peak RSS {rss:.1f} MiB" if rss else ""))
root = os.path.join(work, "1000")
t0 = time.perf_counter()
for i in range(1000):
    lock = os.path.join(root, f"repo{i:04d}", "Cargo.lock")
    spawn([ca, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json", "-f", lock], env)
t_ca = time.perf_counter() - t0
t_ours = per[1000] * 1000
print(f"  cargo audit once per lockfile over 1000: {t_ca:.2f} s -> ours is {t_ca/t_ours:.0f}x faster")
print(f"  growth: per-lockfile cost at 1000 / at 100 = {per[1000]/per[100]:.2f} (1.0 = linear)")
t_yanked, _ = measure([dp, "scan", root, "--db", db, "--offline", "-q", "-o", os.devnull], env, 3,
                      rss=False)
print(f"  with the yanked check (the scan's default): {t_yanked:.3f} s over 1000")
shutil.rmtree(work, ignore_errors=True)
print()
history_section()
shutil.rmtree(cache, ignore_errors=True)
