#!/usr/bin/env python3
"""Every output format of a cargo-depaudit binary over the corpus, for before/after checks.

  scripts/outputs.py record BINARY DIR    write every output to DIR (one file per run)
  scripts/outputs.py compare DIR_A DIR_B  list the files that differ; exit 1 if any

Runs, per corpus lockfile (../shared/corpus/lockfiles), `audit --lockfile-only --offline`
with the shared database in each format (table, json, sarif, markdown, jsonl, cyclonedx,
openvex; SOURCE_DATE_EPOCH fixed so the last two are reproducible), with and
without `--no-yanked`; then `scan` of the whole corpus in each scan format. The exit code
of each run is written beside its output. Nothing here needs the network; record both sides
the same day (database ages are in days). Both sides run with an empty CARGO_HOME and cache folder of their own, so
cargo's index cache (which other cargo runs keep changing) plays no part: the yanked
check and remediation see no index data, as in CI.
"""
import os, subprocess, sys, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(repo, "..", "shared")
db = os.path.join(shared, "advisory-db")
corpus = os.path.join(shared, "corpus", "lockfiles")


def record(binary, out):
    os.makedirs(out, exist_ok=True)
    home = tempfile.mkdtemp(prefix="depaudit-outputs-")
    env = dict(os.environ, NO_COLOR="1", CARGO_HOME=os.path.join(home, "cargo"),
               SOURCE_DATE_EPOCH="1700000000",
               DEPAUDIT_CACHE_DIR=os.path.join(home, "cache"))
    env.pop("DEPAUDIT_DB", None)
    runs = []
    for name in sorted(os.listdir(corpus)):
        lock = os.path.join(corpus, name, "Cargo.lock")
        for fmt in ["table", "json", "sarif", "markdown", "jsonl", "cyclonedx", "openvex"]:
            for yanked in [True, False]:
                extra = [] if yanked else ["--no-yanked"]
                tag = f"{name}.{fmt}{'' if yanked else '.no-yanked'}"
                runs.append((tag, ["audit", "--lockfile-only", "--db", db, "--offline",
                                   "--file", lock, "--format", fmt] + extra))
    for fmt in ["jsonl", "json", "table", "markdown"]:
        runs.append((f"scan.{fmt}", ["scan", corpus, "--db", db, "--offline", "--format", fmt,
                                     "--jobs", "1", "--quiet"]))
    for tag, args in runs:
        r = subprocess.run([binary] + args, capture_output=True, env=env, cwd=repo)
        with open(os.path.join(out, tag), "wb") as f:
            f.write(r.stdout)
            f.write(b"\n--- stderr ---\n")
            f.write(r.stderr)
            f.write(f"\n--- exit {r.returncode} ---\n".encode())
    print(f"recorded {len(runs)} runs in {out}")


def compare(a, b):
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    differ = []
    for n in names:
        pa, pb = os.path.join(a, n), os.path.join(b, n)
        if not (os.path.exists(pa) and os.path.exists(pb)):
            differ.append(n + " (missing on one side)")
        elif open(pa, "rb").read() != open(pb, "rb").read():
            differ.append(n)
    for d in differ:
        print("differs:", d)
    print(f"{len(names) - len(differ)} of {len(names)} outputs byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    if not os.path.isdir(corpus):
        print("skip: ../shared is absent")
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "record":
        record(os.path.abspath(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
