#!/usr/bin/env bash
# Figures of the pruning issue: one-shot accuracy vs sparsity (magnitude and l1) on the bundled
# MLP and LeNet-5 (the unfolded export, so that conv weights are pruned before BatchNormalization
# is folded, as PyTorch pruned them) on the 10k test set; the l1 zeros against PyTorch's
# global_unstructured; time and peak heap of l1:0.8 on a 100M-parameter model. Needs:
# mvn -B -DskipTests install; python3-torch, python3-onnx, python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
mkdir -p "$work/pruned"

for model in mlp lenet5_bn_unfolded_op13; do
  java -cp "$cp" dev.edgecompress.benchmarks.PruningBenchmark sweep "test-models/$model.onnx" \
    "$work/fashion_mnist_test_10k.npz" "$work/pruned"
  /usr/bin/python3 benchmarks/torch_global_l1.py "test-models/$model.onnx" "$work/pruned/$model-l1-{s}.onnx"
done

echo "## structured channel pruning of LeNet-5, one-shot (validate: 10k images; latency side by side)"
for fraction in 0.25 0.5; do
  edgecompress compress test-models/lenet5_bn.onnx -o "$work/lenet5-channels-$fraction.onnx" \
    --prune "channels:$fraction" --data "$work/fashion_mnist_test_10k.npz" --batch 1,64 \
    --report "$work/channels-$fraction.json" > /dev/null
done
echo "## sparse storage of the MLP pruned by l1 to 90%"
for storage in "" --sparse-storage; do
  edgecompress compress test-models/mlp.onnx -o "$work/mlp-l1-0.9$storage.onnx" --prune l1:0.9 $storage \
    --data "$work/fashion_mnist_test_10k.npz" --batch 1,64 --report "$work/sparse$storage.json" > /dev/null
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, sys
work = sys.argv[1]
for f in sorted(glob.glob(f"{work}/channels-*.json")) + sorted(glob.glob(f"{work}/sparse*.json")):
    r = json.load(open(f))
    lat = ", ".join(f"batch {l['batch']}: {l['reference_ms_p50']:.4f} -> {l['candidate_ms_p50']:.4f} ms ({l['speedup']:.2f}x)"
                    for l in r["latency"])
    print(f"{f.split('/')[-1]}: parameters {r['reference']['parameters']} -> {r['candidate']['parameters']},"
          f" non-zero {r['candidate']['nonzero_parameters']}, bytes {r['reference']['bytes']} -> {r['candidate']['bytes']},"
          f" gzip {r['reference']['gzip_bytes']} -> {r['candidate']['gzip_bytes']},"
          f" accuracy {r['reference']['accuracy']:.4f} -> {r['candidate']['accuracy']:.4f}; {lat}")
PY
rm -f "$work"/channels-*.json "$work"/sparse*.json

echo "## 100M parameters"
java -cp "$cp" dev.edgecompress.benchmarks.ModelIoBenchmark generate 400 "$work/m100m.onnx"
java -cp "$cp" dev.edgecompress.benchmarks.PruningBenchmark large "$work/m100m.onnx" "$work/m100m.pruned.onnx"
rm -f "$work"/m100m*
