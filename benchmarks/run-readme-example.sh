#!/usr/bin/env bash
# The figures README.md gives for its main example: the command exactly as README shows it, three
# times, with its wall time, and what its report says (size, accuracy lost on the 2,000 held-out
# test images, speedup). The example trains and calibrates on the 512 bundled training images and
# evaluates on the 2,000 bundled test images. Needs: mvn -B -DskipTests install.
source "$(dirname "$0")/setup.sh"

for run in 1 2 3; do
  start=$(date +%s.%N)
  edgecompress compress test-models/mlp.onnx -o "$work/mlp.small.onnx" --prune l1:0.9 \
    --finetune epochs=10,lr=0.002,distill=1 --quantize qat --train test-models/fashion_mnist_calib_512.npz \
    --data test-models/fashion_mnist_test_2k.npz --max-accuracy-drop 5 --report "$work/readme-$run.json" \
    > /dev/null 2>&1
  end=$(date +%s.%N)
  echo "$run $(echo "$end - $start" | bc)" >> "$work/readme-times.txt"
done
/usr/bin/python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
times = [float(line.split()[1]) for line in open(f"{work}/readme-times.txt")][-3:]
reports = [json.load(open(f"{work}/readme-{run}.json")) for run in (1, 2, 3)]
r = reports[-1]
ref, cand = r["reference"], r["candidate"]
print(f"wall time, median of 3: {statistics.median(times):.1f} s (JVM start included)")
print(f"size: {ref['bytes']:,} -> {cand['bytes']:,} bytes; gzip {ref['gzip_bytes']:,} -> {cand['gzip_bytes']:,}"
      f" ({ref['gzip_bytes'] / cand['gzip_bytes']:.1f}x smaller)")
drops = [(x["reference"]["accuracy"] - x["candidate"]["accuracy"]) * 100 for x in reports]
print(f"top-1 accuracy on the 2,000 held-out test images: {ref['accuracy'] * 100:.2f}% -> "
      f"{cand['accuracy'] * 100:.2f}% ({', '.join(f'{d:.2f}' for d in drops)} points lost in the 3 runs)")
for batch in (1, 64):
    speedups = [next(l for l in x["latency"] if l["batch"] == batch)["speedup"] for x in reports]
    print(f"speedup at batch {batch}, median of 3 runs: {statistics.median(speedups):.2f}x")
print("gates passed in every run:", all(x["passed"] for x in reports))
PY
rm -f "$work/readme-times.txt"
