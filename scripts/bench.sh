#!/usr/bin/env bash
# The workloads of issue 8 from Rust, Python and Node over one generated history, in one table.
# Not part of CI (slow); numbers and how to read them: docs/performance.md.
#
#   scripts/bench.sh [--quick] [--size N]
#
# --quick   1 s per read workload, 200 lifecycles, 100 rollbacks (under 2 minutes once built)
# --size N  historical deployments to generate (default 10000; 1000000 takes ~4 min and 15 GB)
#
# Builds what it runs: the Rust example `bench_workloads` (release), the Python package into
# bindings/python/.venv (release, as bindings/python/test.sh makes the venv), the Node addon
# (napi build --release). DEPLOYGOV_BENCH_DIR picks where the data set goes (default /tmp).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
quick=""
size=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --size) size="$2"; shift ;;
    *) echo "usage: scripts/bench.sh [--quick] [--size N]" >&2; exit 2 ;;
  esac
  shift
done
step() { printf -- '--> %s\n' "$*" >&2; }
started=$SECONDS

step "rust: cargo build --release --example bench_workloads"
(cd "$root" && cargo build --quiet --release -p deploygov --example bench_workloads)
bin="$root/target/release/examples/bench_workloads"

step "python: release build of the package into bindings/python/.venv"
venv="$root/bindings/python/.venv"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 MATURIN_PEP517_ARGS="--profile release" \
  "$venv/bin/python" -m pip install --quiet "$root/bindings/python"

step "node: napi build --platform --release"
(cd "$root/bindings/node" && { [ -d node_modules ] || npm install --no-audit --no-fund --silent; } && npx napi build --platform --release >/dev/null)

work="$(mktemp -d "${DEPLOYGOV_BENCH_DIR:-/tmp}/deploygov-xbench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
step "generate $size deployments"
info="$(DEPLOYGOV_BENCH_KEEP=1 DEPLOYGOV_BENCH_DIR="$work" "$bin" generate "$size")"
db="$(sed -n 's/.*db=\([^ ]*\).*/\1/p' <<<"$info")"
cursor="$(sed -n 's/.*cursor=\([^ ]*\).*/\1/p' <<<"$info")"
at="$(sed -n 's/.*at=\([^ ]*\).*/\1/p' <<<"$info")"

results="$work/results.txt"
for lang in rust python node; do
  # Each language starts from the same history (its writes go to its own copy); a large
  # history (15 GB at 1M) is shared instead, each language adding its few hundred deployments.
  if [ "$size" -le 100000 ]; then cp "$db" "$work/$lang.db"; else ln -sf "$db" "$work/$lang.db"; fi
  step "$lang: workloads"
  case "$lang" in
    rust) "$bin" run "$work/$lang.db" "$cursor" "$at" $quick ;;
    python) "$venv/bin/python" "$root/scripts/bench_python.py" "$work/$lang.db" "$cursor" "$at" $quick ;;
    node) node "$root/scripts/bench_node.js" "$work/$lang.db" "$cursor" "$at" $quick ;;
  esac | tee -a "$results" >&2
done

python3 - "$results" "$size" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    lang, workload, per_s, us = line.split()
    rows.setdefault(workload, {})[lang] = (float(per_s), float(us))
order = [
    ("hot_read_tag", "hot read, tag only (`active_version_tag`; Node `activeVersionTagSync`)", "3,000,000/s Rust; 1,000,000/s Python, Node"),
    ("hot_read_shared", "hot read, shared entry (Rust `active_version_shared`)", "3,000,000/s Rust"),
    ("hot_read", "hot read, whole entry (`active_version`; Node `activeVersionSync`)", ""),
    ("hot_read_async", "hot read, promise (Node `activeVersion`)", ""),
    ("hot_read_uncached", "hot read, no cache (Rust, the old path)", ""),
    ("lifecycle", "lifecycle: request + 2 approvals + execute (default executor: 4 commits)", "4,000/s Rust; 3,000/s Python, Node"),
    ("lifecycle_host_executor", "lifecycle with a host executor (execute in 2 commits: 5)", ""),
    ("lifecycle_concurrent", "lifecycle, 4 threads at once (own projects; Rust)", ""),
    ("rollback", "rollback", ""),
    ("commit_floor_1", "one commit writing 1 B-tree (SQLite floor through the engine's WAL VFS, Rust)", ""),
    ("commit_floor_4", "one commit writing 4 B-trees", ""),
    ("commit_floor_8", "one commit writing 8 B-trees", ""),
    ("commit_floor_14", "one commit writing 14 B-trees", ""),
    ("commit_floor_stock_1", "one commit writing 1 B-tree, SQLite's own VFS", ""),
    ("commit_floor_stock_4", "one commit writing 4 B-trees, SQLite's own VFS", ""),
    ("commit_floor_stock_8", "one commit writing 8 B-trees, SQLite's own VFS", ""),
    ("commit_floor_stock_14", "one commit writing 14 B-trees, SQLite's own VFS", ""),
    ("list_deep", "list, deep page of 50", ""),
    ("verify_audit_entries", "verify_audit (entries)", "300,000 entries/s"),
    ("verify_audit_reparse_entries", "verify_audit as before (re-parsing; Rust)", ""),
    ("active_state_at_first", "active_state_at (half-way), first call", ""),
    ("active_state_at", "active_state_at (half-way), next calls", ""),
    ("peak_rss_mib", "peak resident memory of the run (MiB)", "flat in history size"),
]
def cell(v):
    if v is None:
        return "—"
    per_s, us = v
    if us == 0:
        return f"{per_s:,.0f}"
    return f"{per_s:,.0f}/s ({us:,.2f} µs)" if us < 1000 else f"{per_s:,.1f}/s ({us / 1000:,.1f} ms)"
print(f"\n{int(sys.argv[2]):,} historical deployments\n")
print("| workload | Rust | Python | Node | target |")
print("|---|---|---|---|---|")
for key, name, target in order:
    if key in rows:
        r = rows[key]
        print(f"| {name} | {cell(r.get('rust'))} | {cell(r.get('python'))} | {cell(r.get('node'))} | {target} |")
PY
step "done in $((SECONDS - started)) s"
