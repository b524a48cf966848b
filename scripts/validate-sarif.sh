#!/usr/bin/env bash
# Renders SARIF for a corpus lockfile and validates it with Microsoft's SARIF Multitool
# (schema + the "Sarif" and "Gh" (GitHub code scanning) rule sets). Fails unless the
# validator reports 0 errors. It first validates a deliberately broken copy and requires
# errors there, because the Multitool silently reports nothing on a file it cannot
# deserialize (an unknown enum value, for instance): a clean result must mean "checked".
#
# Usage: scripts/validate-sarif.sh [LOCKFILE]   (default: a corpus lockfile in ../shared)
# Env:   SARIF_TOOL_DIR (default: $TMPDIR/sarif-tool).
set -euo pipefail
cd "$(dirname "$0")/.."

lockfile="${1:-../shared/corpus/lockfiles/sharkdp-bat-2020-12-01-8f8e44e8/Cargo.lock}"
# Ignore one advisory (bat 2020 has chrono's) so suppressed results are validated too.
ignore="${SARIF_IGNORE:-RUSTSEC-2020-0159}"
db=../shared/advisory-db
tool_dir="${SARIF_TOOL_DIR:-${TMPDIR:-/tmp}/sarif-tool}"
[ -f "$lockfile" ] || { echo "no lockfile at $lockfile (is ../shared present?)" >&2; exit 2; }

if ! ls "$tool_dir"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool >/dev/null 2>&1; then
    echo "installing @microsoft/sarif-multitool into $tool_dir" >&2
    npm install --silent --prefix "$tool_dir" @microsoft/sarif-multitool >&2
fi
# Call the native binary: the npm wrapper (`sarif-multitool`) runs it through a shell, so
# `--rule-kind "Gh;Sarif"` would be cut at the semicolon.
multitool=$(ls "$tool_dir"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool | head -1)
chmod u+x "$multitool" # the package's postinstall does this; npm may skip install scripts

# Where cargo put the binary (as cargo reports it).
bin=$(cargo build --quiet --bin cargo-depaudit --message-format json |
    grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DEPAUDIT_CACHE_DIR="$work/cache"

set +e
"$bin" --db "$db" --offline --file "$lockfile" --quiet --ignore "$ignore" --format sarif --output "$work/report.sarif"
status=$?
set -e
if [ "$status" -ge 2 ]; then echo "cargo-depaudit failed (exit $status)" >&2; exit 2; fi

validate() { # FILE -> prints the validator's findings; echoes the error count last
    "$multitool" validate "$1" --rule-kind "Gh;Sarif" --log ForceOverwrite -o "$1.validation" |
        grep -E ': (error|warning|note) ' || true
}

# Sanity check: a copy without a rule's fullDescription must be rejected (GH2012).
sed 's/"fullDescription"/"fullDescriptionRemoved"/' "$work/report.sarif" >"$work/broken.sarif"
if ! validate "$work/broken.sarif" | grep -q ': error '; then
    echo "the SARIF validator did not flag a broken file; is it working?" >&2
    exit 2
fi

out=$(validate "$work/report.sarif")
errors=$(printf '%s' "$out" | grep -c ': error ' || true)
warnings=$(printf '%s' "$out" | grep -c ': warning ' || true)
[ -n "$out" ] && printf '%s\n' "$out"
results=$(grep -c '"ruleId"' "$work/report.sarif" || true)
suppressed=$(grep -c '"justification"' "$work/report.sarif" || true)
echo "validated SARIF for $lockfile ($results results, $suppressed suppressed): $errors errors, $warnings warnings"
[ "$errors" -eq 0 ]
