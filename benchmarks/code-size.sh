#!/usr/bin/env bash
# Lines of main code per module and the five largest classes, at a commit (default: the working
# tree's HEAD): the structure figures of docs/BENCHMARKS.md. Usage: benchmarks/code-size.sh [REV]
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-HEAD}"
files=$(git ls-tree -r --name-only "$rev" | grep '/src/main/java/.*\.java$')
echo "module       main lines  classes"
for module in $(echo "$files" | cut -d/ -f1 | sort -u); do
  lines=0
  count=0
  for f in $(echo "$files" | grep "^$module/"); do
    lines=$((lines + $(git show "$rev:$f" | wc -l)))
    count=$((count + 1))
  done
  printf "%-12s %10d %8d\n" "$module" "$lines" "$count"
done
echo "largest classes:"
for f in $files; do
  echo "$(git show "$rev:$f" | wc -l) $f"
done | sort -rn | head -5
