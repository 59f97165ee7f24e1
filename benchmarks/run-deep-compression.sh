#!/usr/bin/env bash
# Deep Compression on the bundled LeNet-300-100 (mlp.onnx): recipes/deep_compression_mlp.json step
# by step (each row runs the recipe's first steps), trained on Fashion-MNIST's 60,000 training
# images, judged on its 10,000 test images: sparsity, distinct non-zero values per layer, bits a
# weight, gzip size and top-1. Needs: mvn -B -DskipTests install; python3-numpy, python3-onnx,
# dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train60k="$work/fashion_mnist_train_60k.npz"
[ -f "$train60k" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train60k" --split train
recipe=recipes/deep_compression_mlp.json
steps=$(/usr/bin/python3 -c "import json; print(len(json.load(open('$recipe'))['steps']))")

echo "| after step | sparsity | distinct values a layer | bits a weight | gzip bytes | gzip ratio | top-1 (10k test) | vs float |"
echo "|---|---|---|---|---|---|---|---|"
for n in $(seq 0 "$steps"); do
  prefix="$work/deep-compression-$n.json"
  /usr/bin/python3 -c "
import json; r = json.load(open('$recipe')); r['steps'] = r['steps'][:$n]; r['gates'] = {}
json.dump(r, open('$prefix', 'w'))"
  model="$work/deep-compression-$n.onnx"
  if [ "$n" = 0 ]; then
    cp test-models/mlp.onnx "$model"
    edgecompress validate --reference test-models/mlp.onnx --candidate "$model" --data "$test10k" --time 0 --runs 1 \
      --report "$work/deep-compression-$n.report.json" > /dev/null
  else
    edgecompress compress test-models/mlp.onnx -o "$model" --recipe "$prefix" --train "$train60k" \
      --calib test-models/fashion_mnist_calib_512.npz --data "$test10k" --time 0 --runs 1 \
      --report "$work/deep-compression-$n.report.json" > /dev/null 2> "$work/deep-compression-$n.err"
  fi
  /usr/bin/python3 - "$model" "$work/deep-compression-$n.report.json" "$prefix" "$n" <<'PY'
import json, math, sys
import numpy as np
import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
report = json.load(open(sys.argv[2]))
steps = json.load(open(sys.argv[3]))["steps"]
inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
# Layer weights: float matrices, or the int8 codes DequantizeLinear reads.
weights = {}
for node in model.graph.node:
    if node.op_type == "DequantizeLinear" and node.input[0] in inits and inits[node.input[0]].ndim == 2:
        weights[node.input[0]] = inits[node.input[0]]
if not weights:
    weights = {name: a for name, a in inits.items() if a.ndim == 2}
total = sum(a.size for a in weights.values())
zeros = sum(int((a == 0).sum()) for a in weights.values())
distinct = [len(np.unique(a[a != 0])) for a in weights.values()]
storage = "int8" if any(a.dtype == np.int8 for a in weights.values()) else "float32"
# Bits a weight: what indexing its shared values (and zero) takes where it has few, else its storage.
bits = max(math.ceil(math.log2(d + 1)) for d in distinct)
bits = f"{bits} ({storage})" if max(distinct) <= 256 else ("8" if storage == "int8" else "32")
ref, cand = report["reference"], report["candidate"]
if steps:
    last = steps[-1]
    name = last["type"] + " " + ", ".join(f"{k}={v}" for k, v in last.items() if k != "type")
else:
    name = "float (bundled)"
print(f"| {name} | {zeros / total:.3f} | {', '.join(map(str, distinct))} | {bits} | "
      f"{cand['gzip_bytes']:,} | {ref['gzip_bytes'] / cand['gzip_bytes']:.1f}x | {cand['accuracy']:.4f} | "
      f"{(cand['accuracy'] - ref['accuracy']) * 100:+.2f} |")
PY
done
