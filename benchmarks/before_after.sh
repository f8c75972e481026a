#!/usr/bin/env bash
# Run bench_mnist.py on two commits (and the working tree) in alternating
# rounds, so that a busy machine slows every tree alike.
#
#   benchmarks/before_after.sh BEFORE AFTER [ROUNDS] [-- bench_mnist args]
#
# Each commit is checked out into a temporary git worktree and run with this
# checkout's .venv and its own src/ on PYTHONPATH; the raw JSON and the Markdown
# table of each run go to benchmarks/results/before_after/<tree>_r<k>.*, and
# benchmarks/before_after_report.py prints medians per tree from them.
# TREES="before after" leaves out the working tree (when it is AFTER).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before=${1:?usage: before_after.sh BEFORE AFTER [ROUNDS] [-- bench args]}
after=${2:?usage: before_after.sh BEFORE AFTER [ROUNDS] [-- bench args]}
rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--n 70000 --methods cne_s0 cne_s1 --repeats 1 --threads 2)
out=$root/benchmarks/results/before_after
data=$(cd "$root/.." && pwd)/shared/data/mnist.npz  # a later --data wins
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'for w in before after; do
        git -C "$root" worktree remove --force "$tmp/$w" 2>/dev/null || true
      done; rm -rf "$tmp"' EXIT
git -C "$root" worktree add -q --detach "$tmp/before" "$before"
git -C "$root" worktree add -q --detach "$tmp/after" "$after"
for r in $(seq "$rounds"); do
  for tree in ${TREES:-before after main}; do
    case $tree in before) d=$tmp/before ;; after) d=$tmp/after ;; main) d=$root ;; esac
    echo "$(date -u +%T) round $r: $tree ($(git -C "$d" rev-parse --short HEAD))" >&2
    (cd "$d" && OMP_WAIT_POLICY=PASSIVE PYTHONPATH="$d/src" "$root/.venv/bin/python" \
      benchmarks/bench_mnist.py --data "$data" "${args[@]}" --out "$out/${tree}_r$r.json" \
      > "$out/${tree}_r$r.md")
  done
done
"$root/.venv/bin/python" "$root/benchmarks/before_after_report.py" "$out"
