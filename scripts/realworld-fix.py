#!/usr/bin/env python3
"""`fix` on real workspaces, against `cargo update` as the naive baseline.

For every workspace under ../shared/workspaces (or the folders given), on fresh copies:
  - `cargo depaudit fix`                      (compatible steps only)
  - `cargo depaudit fix --allow-breaking`     (semver-incompatible steps too, build-checked)
  - `cargo update`                            (everything to the newest compatible version)
and reports per mode: vulnerabilities before and after, packages changed, whether the
result resolves (`cargo metadata --locked`) and builds (`cargo check --locked`, only where
the original builds), plans refused / rolled back / introduced findings, and seconds.

Needs crates.io (cargo resolves and downloads): not a test, never run by CI.
Vulnerabilities are judged with `cargo audit --db DB --no-fetch --no-yanked` when it is
found ($CARGO_AUDIT, PATH, or a scratch install with --install-cargo-audit), else with
cargo-depaudit's own audit (which matches cargo audit on every lockfile tried).

  scripts/realworld-fix.py [--no-build] [--markdown] [WORKSPACE_DIR ...]
"""
import json, os, shutil, subprocess, sys, tempfile, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(repo, "..", "shared")
db = os.path.abspath(os.path.join(shared, "advisory-db"))
args = sys.argv[1:]
build = "--no-build" not in args
markdown = "--markdown" in args
install_audit = "--install-cargo-audit" in args
roots = [a for a in args if not a.startswith("--")]
if not roots:
    base = os.path.join(shared, "workspaces")
    roots = sorted(os.path.join(base, d) for d in os.listdir(base)
                   if os.path.isdir(os.path.join(base, d)))


def binary():
    out = subprocess.run(["cargo", "build", "--release", "--message-format=json", "--bin",
                          "cargo-depaudit"],
                         cwd=repo, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m.get("executable") \
                and m["target"]["name"] == "cargo-depaudit":
            return m["executable"]
    sys.exit("could not find the built cargo-depaudit")


def cargo_audit():
    if os.environ.get("CARGO_AUDIT"):
        return os.environ["CARGO_AUDIT"]
    found = shutil.which("cargo-audit")
    if found:
        return found
    root = os.path.join(tempfile.gettempdir(), "depaudit-cargo-audit")
    exe = os.path.join(root, "bin", "cargo-audit")
    if not os.path.exists(exe) and install_audit:
        subprocess.run(["cargo", "install", "--locked", "cargo-audit", "--root", root], check=True)
    return exe if os.path.exists(exe) else None


# A copy: rebuilding while this runs must not change the binary under it.
BIN = os.path.join(tempfile.mkdtemp(prefix="depaudit-bin-"), "cargo-depaudit")
shutil.copy2(binary(), BIN)
AUDIT = cargo_audit()
JUDGE = "cargo audit" if AUDIT else "cargo-depaudit"


def vulns(ws):
    """The (id, crate, version) vulnerabilities of ws/Cargo.lock."""
    lock = os.path.join(ws, "Cargo.lock")
    if AUDIT:
        r = subprocess.run([AUDIT, "audit", "--db", db, "--no-fetch", "--no-yanked", "--json",
                            "--file", lock], capture_output=True, text=True)
        data = json.loads(r.stdout)
        return {(v["advisory"]["id"], v["package"]["name"], v["package"]["version"])
                for v in data["vulnerabilities"]["list"]}
    r = subprocess.run([BIN, "audit", "--db", db, "--offline", "--no-yanked", "--json",
                        "--lockfile-only", "--file", lock], capture_output=True, text=True)
    data = json.loads(r.stdout)
    return {(f["advisory"]["id"], f["package"]["name"], f["package"]["version"])
            for f in data["findings"] if f["kind"] == "vulnerability" and not f.get("ignored")}


def packages(ws):
    out, name = set(), None
    for line in open(os.path.join(ws, "Cargo.lock")):
        if line.startswith("name = "):
            name = line.split('"')[1]
        elif line.startswith("version = ") and name:
            out.add((name, line.split('"')[1]))
            name = None
    return out


def changed(a, b):
    return len({n for n, _ in a ^ b})


def ok(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env).returncode == 0


def copy(src, tmp, tag):
    dst = os.path.join(tmp, os.path.basename(src.rstrip("/")) + "-" + tag)
    subprocess.run(["cp", "-a", src, dst], check=True)
    subprocess.run(["chmod", "-R", "u+w", dst], check=True)  # ../shared is read-only
    return dst


def run_mode(src, tmp, mode, target, builds_before):
    ws = copy(src, tmp, mode.replace(" ", "_").replace("-", ""))
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    before_v, before_p = vulns(ws), packages(ws)
    t0 = time.time()
    row = {"mode": mode}
    if mode == "cargo update":
        r = subprocess.run(["cargo", "update"], cwd=ws, capture_output=True, text=True, env=env)
        row.update(refused=0, rolled_back=0, introduced_reported=0)
    else:
        extra = ["--allow-breaking"] if "breaking" in mode else []
        r = subprocess.run([BIN, "fix", "--db", db, "--json"] + extra, cwd=ws,
                           capture_output=True, text=True, env=env)
        try:
            res = json.loads(r.stdout)
        except ValueError:
            res = {}
            row["error"] = (r.stderr.strip().splitlines() or ["?"])[-1]
        row.update(refused=len(res.get("refused", [])),
                   rolled_back=len(res.get("rolled_back", [])),
                   introduced_reported=len(res.get("introduced", [])),
                   exit=r.returncode)
        row["refused_reasons"] = [x["reason"] for x in res.get("refused", [])]
        row["rolled_back_reasons"] = [x["reason"] for x in res.get("rolled_back", [])]
    row["seconds"] = round(time.time() - t0, 1)
    after_v = vulns(ws)
    row.update(before=len(before_v), after=len(after_v),
               removed=len({(i, c) for i, c, _ in before_v} - {(i, c) for i, c, _ in after_v}),
               introduced=len({(i, c) for i, c, _ in after_v} - {(i, c) for i, c, _ in before_v}),
               changed=changed(before_p, packages(ws)),
               resolves=ok(["cargo", "metadata", "--locked", "--format-version", "1"], ws, env))
    if build and builds_before:
        row["builds"] = ok(["cargo", "check", "--locked", "--quiet"], ws, env)
    return row


def main():
    tmp = tempfile.mkdtemp(prefix="depaudit-realworld-")
    rows = []
    for src in roots:
        name = os.path.basename(src.rstrip("/"))
        target = os.path.join(tmp, "target-" + name)
        builds_before = None
        if build:
            orig = copy(src, tmp, "orig")
            builds_before = ok(["cargo", "check", "--locked", "--quiet"], orig,
                               dict(os.environ, CARGO_TARGET_DIR=target))
        for mode in ["fix", "fix --allow-breaking", "cargo update"]:
            row = run_mode(src, tmp, mode, target, builds_before)
            row["workspace"] = name
            row["builds_before"] = builds_before
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"judge: {JUDGE}; database: {db}")
    head = ("| workspace | mode | vulns before | after | removed | introduced | packages changed "
            "| changed per removed | resolves | builds | refused | rolled back | seconds |")
    print(head)
    print("|" + "---|" * 13)
    totals = {}
    for r in rows:
        per = f"{r['changed'] / r['removed']:.1f}" if r["removed"] else "-"
        b = {None: "n/a", True: "yes", False: "no"}[r.get("builds")] if r.get("builds_before") \
            else "n/a (did not build before)" if r.get("builds_before") is False else "not checked"
        print(f"| {r['workspace']} | {r['mode']} | {r['before']} | {r['after']} | {r['removed']} "
              f"| {r['introduced']} | {r['changed']} | {per} | {'yes' if r['resolves'] else 'no'} "
              f"| {b} | {r['refused']} | {r['rolled_back']} | {r['seconds']} |")
        t = totals.setdefault(r["mode"], [0, 0, 0, 0])
        t[0] += r["before"]; t[1] += r["removed"]; t[2] += r["changed"]; t[3] += r["introduced"]
    print()
    for mode, (before, removed, ch, intro) in totals.items():
        print(f"{mode}: removed {removed} of {before} vulnerabilities "
              f"({100 * removed / max(before, 1):.0f}%), {ch} packages changed "
              f"({ch / max(removed, 1):.1f} per removed), {intro} introduced")
    shutil.rmtree(tmp, ignore_errors=True)


main()
