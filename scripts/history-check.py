#!/usr/bin/env python3
"""Reference check for `cargo depaudit history`: the naive loop against our command.

The naive loop is what a team would write today:
  git log --first-parent --raw --no-renames --format='%H %ct' REF -- Cargo.lock '**/Cargo.lock'
lists, oldest first, every first-parent commit whose lockfile blobs differ from its first
parent's (a merge is compared with its first parent only), with each changed path; for
every changed lockfile path (folders named target or vendor, or starting with '.', are
skipped, as our command does by default) it runs
  git show COMMIT:PATH > TMP/Cargo.lock
  cargo audit --db DB --no-fetch --no-yanked --json -f TMP/Cargo.lock
and computes exposure windows in Python with the same rules as ours: a window for
(lockfile, advisory, crate) opens at the first revision of that lockfile that has the
finding (cargo audit's `vulnerabilities.list`, and its `warnings` of kinds unmaintained,
unsound and notice) and closes at the first later revision of that lockfile without it,
or where the lockfile is deleted; a revision cargo audit cannot read leaves the windows
as they are. A finding that leaves and comes back opens a second window.

Then it runs `cargo-depaudit history REPO --db DB -n --format json` and compares the sets
of (lockfile, advisory, crate, introduced commit, fixed commit or None). Differences that
follow from a revision cargo audit could not read (same lockfile, the window edge on or
after such a revision) are reported apart as explained; any other difference is a
mismatch and the exit status is 1.

Usage: scripts/history-check.py REPO... [--db DIR] [--cargo-audit BIN] [--ref REF]
                                 [--depaudit BIN]
REPO: a git repository (bare or not). Without REPO, the three mirrors under /tmp/hist
(cloned from ../shared/git/*.bundle into a temp dir when absent).
cargo-audit: --cargo-audit, else $CARGO_AUDIT, else $TMPDIR/depaudit-cargo-audit/bin/
cargo-audit (installed there with `cargo install --locked cargo-audit` when missing).
Our binary: --depaudit, else target/release/cargo-depaudit (built when missing).
"""
import datetime, glob, json, os, shutil, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
repo_root = os.path.dirname(here)
shared = os.path.join(repo_root, "..", "shared")
KINDS = ("unmaintained", "unsound", "notice")
DB = os.path.join(shared, "advisory-db")  # --db


def cargo_audit_bin(given=None):
    if given:
        return given
    if os.environ.get("CARGO_AUDIT"):
        return os.environ["CARGO_AUDIT"]
    root = os.path.join(tempfile.gettempdir(), "depaudit-cargo-audit")
    exe = os.path.join(root, "bin", "cargo-audit")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "install", "--locked", "cargo-audit", "--root", root], check=True)
    return exe


def depaudit_bin(given=None):
    if given:
        return given
    exe = os.path.join(repo_root, "target", "release", "cargo-depaudit")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--release", "--bin", "cargo-depaudit"],
                       cwd=repo_root, check=True)
    return exe


def clone_bundles():
    """Bare mirrors of ../shared/git/*.bundle, cloned into a new temp dir ([] without the
    bundles)."""
    bundles = sorted(glob.glob(os.path.join(shared, "git", "*.bundle")))
    if not bundles:
        return []
    tmp = tempfile.mkdtemp(prefix="depaudit-hist-")
    out = []
    for b in bundles:
        dest = os.path.join(tmp, os.path.basename(b)[:-len(".bundle")] + ".git")
        subprocess.run(["git", "-c", "init.defaultBranch=master", "clone", "--quiet", "--mirror", b, dest],
                       check=True)
        out.append(dest)
    return out


def mirrors():
    """The three real repositories as bare mirrors: /tmp/hist/*.git, else cloned from
    ../shared/git/*.bundle into a temp dir."""
    found = sorted(glob.glob("/tmp/hist/*.git")) or clone_bundles()
    if not found:
        sys.exit("no repositories given, and neither /tmp/hist/*.git nor ../shared/git/*.bundle")
    return found


def skipped(path):
    """A lockfile path our command skips by default: a folder named target or vendor, or
    starting with '.'."""
    folders = path.split("/")[:-1]
    return any(f in ("target", "vendor") or f.startswith(".") for f in folders)


def lockfile_revisions(repo, ref="HEAD"):
    """[(commit, unix time, [(path, deleted)])], oldest first: the first-parent commits
    whose lockfile blobs differ from their first parent's, with the changed paths."""
    out = subprocess.run(
        ["git", "-C", repo, "log", "--first-parent", "--diff-merges=first-parent", "--raw",
         "--no-renames", "--no-abbrev", "--format=@@ %H %ct", ref, "--",
         "Cargo.lock", "**/Cargo.lock"],
        check=True, capture_output=True, text=True).stdout
    commits = []
    for line in out.splitlines():
        if line.startswith("@@ "):
            _, h, t = line.split()
            commits.append((h, int(t), []))
        elif line.startswith(":"):
            meta, path = line.split("\t", 1)
            if os.path.basename(path) != "Cargo.lock" or skipped(path):
                continue
            dst_mode, status = meta.split()[1], meta.split()[4]
            # A deletion, or the path turned into something that is not a file (a
            # symbolic link or a submodule), ends the lockfile.
            gone = status == "D" or dst_mode not in ("100644", "100755")
            commits[-1][2].append((path, gone))
    commits.reverse()
    return [c for c in commits if c[2]]


def audit_findings(ca, repo, commit, path, work, db):
    """cargo audit's findings {(advisory, crate): (kind, versions)} for COMMIT:PATH, or
    None when it cannot read the lockfile (with the message)."""
    blob = subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"],
                          check=True, capture_output=True).stdout
    lock = os.path.join(work, "Cargo.lock")
    with open(lock, "wb") as f:
        f.write(blob)
    p = subprocess.run([ca, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json",
                        "-f", lock], cwd=work, capture_output=True, text=True)
    try:
        j = json.loads(p.stdout)
        j["vulnerabilities"]["list"]
    except (ValueError, KeyError, TypeError):
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return None, (msg[-1] if msg else f"exit {p.returncode}")
    found = {}
    for v in j["vulnerabilities"]["list"]:
        k = (v["advisory"]["id"], v["package"]["name"])
        found.setdefault(k, ("vulnerability", set()))[1].add(v["package"]["version"])
    for kind, ws in (j.get("warnings") or {}).items():
        if kind not in KINDS:
            continue
        for w in ws:
            if not w.get("advisory"):
                continue
            k = (w["advisory"]["id"], w["package"]["name"])
            found.setdefault(k, (kind, set()))[1].add(w["package"]["version"])
    return found, None


def naive_windows(repo, ca, ref="HEAD", db=None):
    """The naive loop. Returns (windows, unreadable revisions, lockfile revisions audited)
    where a window is a dict with lockfile, advisory, crate, introduced, fixed (commits;
    fixed None while open) and versions."""
    work = tempfile.mkdtemp(prefix="depaudit-naive-")
    windows, unreadable, audited = [], [], 0
    open_ = {}  # lockfile -> {(advisory, crate): window}
    try:
        for commit, t, changes in lockfile_revisions(repo, ref):
            for path, gone in changes:
                here_ = open_.setdefault(path, {})
                if gone:
                    for w in here_.values():
                        w["fixed"] = commit
                    here_.clear()
                    continue
                audited += 1
                found, err = audit_findings(ca, repo, commit, path, work, db or DB)
                if found is None:
                    unreadable.append({"commit": commit, "time": t, "lockfile": path,
                                       "error": err})
                    continue
                for k in [k for k in here_ if k not in found]:
                    here_.pop(k)["fixed"] = commit
                for k, (kind, versions) in found.items():
                    if k not in here_:
                        w = {"lockfile": path, "advisory": k[0], "crate": k[1], "kind": kind,
                             "introduced": commit, "introduced_time": t, "fixed": None,
                             "version": ", ".join(sorted(versions))}
                        here_[k] = w
                        windows.append(w)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return windows, unreadable, audited


def our_history(dp, repo, ref="HEAD", db=None):
    argv = [dp, "history", repo, "--db", db or DB, "-n", "--format", "json"]
    if ref != "HEAD":
        argv += ["--ref", ref]
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"cargo-depaudit history failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


def key(lockfile, advisory, crate, introduced, fixed):
    return (lockfile, advisory, crate, introduced, fixed)


def check(repo, ca, dp, ref="HEAD"):
    """Compares both sides on one repository; returns True when they agree (or every
    difference is explained by a revision cargo audit cannot read)."""
    name = os.path.basename(repo.rstrip("/"))
    t0 = time.perf_counter()
    theirs, unreadable, audited = naive_windows(repo, ca, ref)
    t_naive = time.perf_counter() - t0
    t0 = time.perf_counter()
    mine = our_history(dp, repo, ref)
    t_ours = time.perf_counter() - t0

    ours_k = {key(w["lockfile"], w["advisory"], w["crate"], w["introduced"]["commit"],
                  w["fixed"]["commit"] if w["fixed"] else None): w for w in mine["windows"]}
    theirs_k = {key(w["lockfile"], w["advisory"], w["crate"], w["introduced"],
                    w["fixed"]): w for w in theirs}
    equal = ours_k.keys() & theirs_k.keys()
    only_ours = sorted(ours_k.keys() - theirs_k.keys(), key=str)
    only_theirs = sorted(theirs_k.keys() - ours_k.keys(), key=str)

    # A difference is explained when the same lockfile has a revision cargo audit could
    # not read, and that revision is where the windows would part (our window's edge
    # falls on it, or cargo audit's window spans it).
    bad = {(u["lockfile"], u["commit"]) for u in unreadable}
    bad_by_lock = {}
    for u in unreadable:
        bad_by_lock.setdefault(u["lockfile"], []).append(u["commit"])
    order = {c: i for i, (c, _, _) in enumerate(lockfile_revisions(repo, ref))}

    def explained(k):
        lock, _, _, intro, fixed = k
        if (lock, intro) in bad or (fixed and (lock, fixed) in bad):
            return True
        lo = order.get(intro, -1)
        hi = order.get(fixed, len(order)) if fixed else len(order)
        return any(lo <= order.get(c, -2) <= hi for c in bad_by_lock.get(lock, []))

    unexplained = [k for k in only_ours + only_theirs if not explained(k)]

    print(f"== {name} ({mine['head'][:12]}, {mine['commits']} first-parent commits)")
    print(f"  lockfile revisions: ours {mine['lockfile_revisions']}, naive loop {audited}")
    print(f"  windows: ours {len(ours_k)}, cargo audit loop {len(theirs_k)}; equal {len(equal)},"
          f" only ours {len(only_ours)}, only theirs {len(only_theirs)}"
          f" (unexplained {len(unexplained)})")
    if mine["errors"]:
        print(f"  revisions we could not read: {len(mine['errors'])}")
        for e in mine["errors"]:
            print(f"    {e['commit'][:12]} {e['date']} {e['lockfile']}: {e['error']}")
    if unreadable:
        print(f"  revisions cargo audit could not read: {len(unreadable)}")
        for u in unreadable:
            day = datetime.datetime.fromtimestamp(u["time"], datetime.timezone.utc).date()
            print(f"    {u['commit'][:12]} {day} {u['lockfile']}: {u['error'][:140]}")

    def show(k, side):
        lock, adv, crate, intro, fixed = k
        tag = "explained (unreadable revision)" if explained(k) else "MISMATCH"
        w = (ours_k if side == "ours" else theirs_k)[k]
        version = w["introduced"]["version"] if side == "ours" else w["version"]
        print(f"    {tag}: {lock} {adv} {crate} {version}: introduced {intro[:12]},"
              f" fixed {fixed[:12] if fixed else 'open'}")
        # The other side's windows for the same (lockfile, advisory, crate).
        other = theirs_k if side == "ours" else ours_k
        for o in sorted(k2 for k2 in other if k2[:3] == k[:3]):
            print(f"        other side: introduced {o[3][:12]}, fixed {o[4][:12] if o[4] else 'open'}")
        if not any(k2[:3] == k[:3] for k2 in other):
            print("        other side: no window for this lockfile, advisory and crate")

    if only_ours:
        print("  only ours:")
        for k in only_ours:
            show(k, "ours")
    if only_theirs:
        print("  only theirs:")
        for k in only_theirs:
            show(k, "theirs")
    # Beyond the compared keys: the introduced version (cargo audit names the affected
    # versions only) and date (the commit's committer date, UTC) of the windows both have.
    details = []
    for k in sorted(equal, key=str):
        o, t = ours_k[k], theirs_k[k]
        day = datetime.datetime.fromtimestamp(t["introduced_time"], datetime.timezone.utc)
        if o["introduced"]["version"] != t["version"]:
            details.append(f"{k[0]} {k[1]} {k[2]} introduced {k[3][:12]}: version ours"
                           f" {o['introduced']['version']!r}, cargo audit {t['version']!r}")
        if o["introduced"]["date"] != day.date().isoformat():
            details.append(f"{k[0]} {k[1]} {k[2]} introduced {k[3][:12]}: date ours"
                           f" {o['introduced']['date']}, committer date {day.date()}")
    if details:
        print(f"  equal windows whose introduced version or date differ: {len(details)}"
              " (not counted as a mismatch)")
        for d in details:
            print(f"    {d}")
    revs = mine["lockfile_revisions"]
    print(f"  wall time: ours {t_ours*1000:.0f} ms, naive loop {t_naive:.1f} s,"
          f" ratio {t_naive/t_ours:.0f}x; ours {revs/t_ours:.0f} lockfile revisions/s")
    return not unexplained


def main():
    global DB
    args = sys.argv[1:]
    opts = {}
    for flag in ("--db", "--cargo-audit", "--ref", "--depaudit"):
        if flag in args:
            i = args.index(flag)
            opts[flag] = args[i + 1]
            del args[i:i + 2]
    DB = os.path.abspath(opts.get("--db", DB))
    if not os.path.isdir(DB):
        print(f"skip: no advisory database at {DB}")
        return 0
    ca, dp = cargo_audit_bin(opts.get("--cargo-audit")), depaudit_bin(opts.get("--depaudit"))
    repos = args or mirrors()
    ok = True
    for r in repos:
        ok &= check(r, ca, dp, opts.get("--ref", "HEAD"))
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
