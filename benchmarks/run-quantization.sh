#!/usr/bin/env bash
# Figures of the int8 issue: for the bundled MLP and LeNet-5, static quantization with MinMax,
# Percentile and Entropy calibration (512 calibration images) and dynamic quantization, validated
# on the 10k test set (size ratio, top-1 drop, ONNX Runtime CPU speedup at batch 1 and 64 side by
# side, the kernels ONNX Runtime runs); then the time to calibrate and quantize a generated
# 100M-parameter MatMul model with 256 samples. Needs: mvn -B -DskipTests install; python3-numpy,
# dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"

for model in mlp lenet5_bn; do
  for variant in static:minmax static:percentile static:entropy static:mse dynamic; do
    mode=${variant%%:*}
    options=(--quantize "$mode")
    [ "$mode" = static ] && options+=(--calibration "${variant#*:}" --calib test-models/fashion_mnist_calib_512.npz)
    edgecompress compress "test-models/$model.onnx" -o "$work/q.onnx" "${options[@]}" \
      --data "$work/fashion_mnist_test_10k.npz" --batch 1,64 --report "$work/q-$model-${variant/:/-}.json" > /dev/null
  done
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, sys
work = sys.argv[1]
for f in sorted(glob.glob(f"{work}/q-*.json")):
    r = json.load(open(f))
    ref, cand = r["reference"], r["candidate"]
    lat = ", ".join(f"batch {l['batch']} {l['speedup']:.2f}x" for l in r["latency"])
    ops = ", ".join(f"{k.replace('com.microsoft.', '')} x{v}" for k, v in r["candidate_runtime_ops"]["cpu"].items())
    print(f"{f.split('/')[-1][2:-5]}: size {cand['bytes'] / ref['bytes']:.3f} (gzip {cand['gzip_bytes'] / ref['gzip_bytes']:.3f}),"
          f" top-1 {ref['accuracy']:.4f} -> {cand['accuracy']:.4f} (drop {(ref['accuracy'] - cand['accuracy']) * 100:.2f} pt),"
          f" {lat}; runs: {ops}")
PY
rm -f "$work"/q-*.json "$work/q.onnx"

echo "## 100M-parameter MatMul model, static quantization calibrated on 256 samples"
java -cp "$cp" dev.edgecompress.benchmarks.ModelIoBenchmark generate 400 "$work/m100m.onnx"
/usr/bin/python3 -c "import numpy as np; np.savez('$work/calib256.npz', x=np.random.default_rng(0).standard_normal((256, 4096), dtype=np.float32))"
/usr/bin/time -f "compress --quantize static (import, cleanup, calibrate, quantize, export): %e s, max RSS %M KiB" \
  edgecompress compress "$work/m100m.onnx" -o "$work/m100m.int8.onnx" --quantize static --calib "$work/calib256.npz"
ls -l "$work/m100m.onnx" "$work/m100m.int8.onnx"
rm -f "$work"/m100m* "$work/calib256.npz"
