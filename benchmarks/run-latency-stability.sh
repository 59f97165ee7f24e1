#!/usr/bin/env bash
# The latency method's noise: `validate A A` (a model against itself) 20 times on every bundled model
# at batch 1 and 64, default timing (spinning off, rounds until the medians' 95% intervals are within
# +/-1% or 20 s). Prints each run's speedup and interval, and per model how many of the 20 fall within
# +/-3% of 1.00. Needs: mvn -B -DskipTests install. Usage: run-latency-stability.sh [MODEL.onnx...]
# (default: every bundled model).
source "$(dirname "$0")/setup.sh"

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(test-models/*.onnx)
fi
rm -f "$work"/aa-*.json
for model in "${models[@]}"; do
  name=$(basename "$model" .onnx)
  for run in $(seq 1 20); do
    edgecompress validate --reference "$model" --candidate "$model" --batch 1,64 --report "$work/aa-$name-$run.json" > /dev/null
  done
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, re, sys
work = sys.argv[1]
rows = {}
for f in sorted(glob.glob(f"{work}/aa-*.json")):
    name = re.match(r".*/aa-(.*)-\d+\.json", f).group(1)
    for l in json.load(open(f))["latency"]:
        rows.setdefault((name, l["batch"]), []).append(l)
print("| model | batch | within +/-3% | speedups (median of each run) | widest 95% interval |")
print("|---|---|---|---|---|")
for (name, batch), ls in sorted(rows.items()):
    inside = sum(1 for l in ls if abs(l["speedup"] - 1) <= 0.03)
    widest = max(ls, key=lambda l: l["speedup_high"] - l["speedup_low"])
    print(f"| {name} | {batch} | {inside}/{len(ls)} | {min(l['speedup'] for l in ls):.3f}-{max(l['speedup'] for l in ls):.3f} |"
          f" {widest['speedup_low']:.3f}-{widest['speedup_high']:.3f} |")
PY
