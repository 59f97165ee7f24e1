#!/usr/bin/env bash
# Figures of the low-rank issue: accuracy, parameters and ONNX Runtime CPU latency of the bundled
# MLP and LeNet-5 factorized at energy 0.8/0.9/0.95 (before fine-tuning, 10k test images), and the
# SVD time of a 4096 x 4096 matrix, full and at rank 256, side by side with numpy.linalg.svd on
# the same matrix. Needs: mvn -B -DskipTests install; python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"

for model in mlp lenet5_bn; do
  for energy in 0.8 0.9 0.95; do
    edgecompress compress "test-models/$model.onnx" -o "$work/lr.onnx" --low-rank "energy:$energy" \
      --data "$work/fashion_mnist_test_10k.npz" --batch 1,64 --report "$work/lr-$model-$energy.json" > /dev/null
  done
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(f"{sys.argv[1]}/lr-*.json")):
    r = json.load(open(f))
    ref, cand = r["reference"], r["candidate"]
    lat = ", ".join(f"batch {l['batch']} {l['speedup']:.2f}x" for l in r["latency"])
    layers = r["steps"][0]["changed"].get("layers", [])
    ranks = ", ".join(f"{l['node']} r={l['rank']} err={l['relative_error']:.3f}" for l in layers)
    print(f"{f.split('/')[-1][3:-5]}: parameters {ref['parameters']} -> {cand['parameters']},"
          f" top-1 {ref['accuracy']:.4f} -> {cand['accuracy']:.4f}, {lat}; {ranks}")
PY
rm -f "$work"/lr-*.json "$work/lr.onnx"

echo "## SVD of 4096 x 4096"
java -cp "$cp" dev.edgecompress.benchmarks.SvdBenchmark 4096 256 "$work/svd4096.npy"
/usr/bin/python3 - "$work/svd4096.npy" <<'PY'
import sys, time, json
import numpy as np
a = np.load(sys.argv[1]).astype(np.float64)
start = time.perf_counter()
s = np.linalg.svd(a, full_matrices=False, compute_uv=True)[1]
print(json.dumps({"tool": "numpy " + np.__version__ + " linalg.svd (float64, full)",
                  "full_s": round(time.perf_counter() - start, 2), "sigma_1": round(float(s[0]), 4),
                  "sigma_256": round(float(s[255]), 4)}))
PY
rm -f "$work/svd4096.npy"
