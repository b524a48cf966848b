#!/usr/bin/env python3
"""Parity check: cargo-depaudit's findings must equal `cargo audit`'s.

For every Cargo.lock under the given folders (default: ../shared/corpus/lockfiles), runs
  cargo audit     --db DB --no-fetch --no-yanked --json --file LOCK
  cargo-depaudit  --db DB --offline  --no-yanked --json --file LOCK
and compares the sets of (kind, advisory id, crate, version). Prints per-file
differences and totals; exits 1 on any difference.

With --yanked, both sides also check for yanked crates (dropping --no-yanked), reading
the same local cargo index cache ($CARGO_HOME/registry/index) offline.

cargo-audit comes from $CARGO_AUDIT, else PATH, else it is installed with
`cargo install --locked cargo-audit --root $TMPDIR/depaudit-cargo-audit` (never into the repo).
"""
import glob, json, os, shutil, subprocess, sys, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
db = os.path.join(repo, "..", "shared", "advisory-db")
if "--db" in args:
    i = args.index("--db"); db = args[i + 1]; del args[i:i + 2]
yanked = "--yanked" in args
if yanked:
    args.remove("--yanked")
no_yanked = [] if yanked else ["--no-yanked"]
roots = args or [os.path.join(repo, "..", "shared", "corpus", "lockfiles")]

def cargo_audit():
    if os.environ.get("CARGO_AUDIT"):
        return os.environ["CARGO_AUDIT"]
    found = shutil.which("cargo-audit")
    if found:
        return found
    root = os.path.join(tempfile.gettempdir(), "depaudit-cargo-audit")
    exe = os.path.join(root, "bin", "cargo-audit")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "install", "--locked", "cargo-audit", "--root", root], check=True)
    return exe

def ours():
    """Builds cargo-depaudit (release) and returns the binary's path, as cargo reports it."""
    out = subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "cargo-depaudit",
                          "--message-format", "json-render-diagnostics"],
                         cwd=repo, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            return msg["executable"]
    sys.exit("cargo build reported no cargo-depaudit binary")

def pick(packages):
    """(path, package count) of the corpus lockfile whose package count is nearest
    `packages` (the benchmark's ~400- and ~1,100-package lockfiles)."""
    corpus = os.path.join(repo, "..", "shared", "corpus", "lockfiles")
    best = None
    for d in sorted(os.listdir(corpus)):
        p = os.path.join(corpus, d, "Cargo.lock")
        n = open(p).read().count("[[package]]")
        if best is None or abs(n - packages) < abs(best[1] - packages):
            best = (p, n)
    return best

def reference_set(out):
    j = json.loads(out)
    s = {("vulnerability", v["advisory"]["id"], v["package"]["name"], v["package"]["version"])
         for v in j["vulnerabilities"]["list"]}
    for kind, ws in j["warnings"].items():
        for w in ws:
            adv = w.get("advisory")
            s.add((kind, adv["id"] if adv else "yanked", w["package"]["name"], w["package"]["version"]))
    return s

def our_set(out):
    j = json.loads(out)
    return {(f["kind"], f["advisory"]["id"] if f["advisory"] else "yanked",
             f["package"]["name"], f["package"]["version"])
            for f in j["findings"] if not f["ignored"]}

def main():
    if not os.path.isdir(db):
        print(f"skip: no advisory database at {db}"); sys.exit(0)
    lockfiles = sorted(p for r in roots for p in glob.glob(os.path.join(r, "**", "Cargo.lock"), recursive=True))
    if not lockfiles:
        print("skip: no lockfiles found under " + ", ".join(roots)); sys.exit(0)
    ca, dp = cargo_audit(), ours()
    cache = tempfile.mkdtemp(prefix="depaudit-parity-")
    env = dict(os.environ, DEPAUDIT_CACHE_DIR=cache)
    totals = dict(files=0, reference=0, ours=0, missing=0, extra=0, exit_mismatch=0)
    for lock in lockfiles:
        r = subprocess.run([ca, "audit", "--db", db, "--no-fetch", *no_yanked, "--json", "--file", lock],
                           capture_output=True, text=True)
        o = subprocess.run([dp, "--db", db, "--offline", *no_yanked, "--json", "--file", lock],
                           capture_output=True, text=True, env=env)
        totals["files"] += 1
        try:
            ref = reference_set(r.stdout)
        except Exception:
            print(f"{lock}: cargo audit failed (exit {r.returncode}): {r.stderr.strip()[:200]}")
            if o.returncode != 2:
                totals["exit_mismatch"] += 1
            continue
        got = our_set(o.stdout) if o.returncode in (0, 1) else set()
        missing, extra = ref - got, got - ref
        totals["reference"] += len(ref); totals["ours"] += len(got)
        totals["missing"] += len(missing); totals["extra"] += len(extra)
        if r.returncode != o.returncode:
            totals["exit_mismatch"] += 1
            print(f"{lock}: exit code cargo audit {r.returncode}, ours {o.returncode} {o.stderr.strip()[:200]}")
        for m in sorted(missing):
            print(f"{lock}: MISSING {m}")
        for e in sorted(extra):
            print(f"{lock}: EXTRA {e}")
    shutil.rmtree(cache, ignore_errors=True)
    print("parity: {files} lockfiles, cargo audit {reference} findings, cargo-depaudit {ours}, "
          "missing {missing}, extra {extra}, exit-code mismatches {exit_mismatch}".format(**totals))
    sys.exit(0 if totals["missing"] == totals["extra"] == totals["exit_mismatch"] == 0 else 1)

if __name__ == "__main__":
    main()
