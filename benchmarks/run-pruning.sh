#!/usr/bin/env bash
# Figures of the pruning issue: one-shot accuracy vs sparsity (magnitude and l1) on the bundled
# MLP and LeNet-5 (the unfolded export, so that conv weights are pruned before BatchNormalization
# is folded, as PyTorch pruned them) on the 10k test set; the l1 zeros against PyTorch's
# global_unstructured; time and peak heap of l1:0.8 on a 100M-parameter model. Needs:
# mvn -B -DskipTests install; python3-torch, python3-onnx, python3-numpy, dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
work=bench-work
mkdir -p "$work/pruned"
cp="benchmarks/target/edgecompress-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
[ -f "$work/fashion_mnist_test_10k.npz" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$work/fashion_mnist_test_10k.npz"

for model in mlp lenet5_bn_unfolded_op13; do
  java -cp "$cp" dev.edgecompress.benchmarks.PruningBenchmark sweep "test-models/$model.onnx" \
    "$work/fashion_mnist_test_10k.npz" "$work/pruned"
  /usr/bin/python3 benchmarks/torch_global_l1.py "test-models/$model.onnx" "$work/pruned/$model-l1-{s}.onnx"
done

echo "## 100M parameters"
java -cp "$cp" dev.edgecompress.benchmarks.ModelIoBenchmark generate 400 "$work/m100m.onnx"
java -cp "$cp" dev.edgecompress.benchmarks.PruningBenchmark large "$work/m100m.onnx" "$work/m100m.pruned.onnx"
rm -f "$work"/m100m*
