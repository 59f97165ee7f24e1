#!/usr/bin/env bash
# Figures of the runtime/validation issue: fp32 accuracy of the bundled models on the shared 2k
# test images and on the full 10k test set (Debian's dataset-fashion-mnist), where evaluation time
# goes (data loading, batching, inside ONNX Runtime), and the noise floor of the latency method
# (validate A A, 5 repetitions). Needs: mvn -B -DskipTests install; python3-numpy and
# dataset-fashion-mnist (Debian). Scratch: bench-work/.
source "$(dirname "$0")/setup.sh"

echo "## accuracy (fp32, ONNX Runtime CPU) and evaluation time"
for model in mlp mlp_unfolded_op13 lenet5_bn lenet5_bn_unfolded_op13; do
  java -cp "$cp" dev.edgecompress.benchmarks.EvaluationBenchmark "test-models/$model.onnx" \
    test-models/fashion_mnist_test_2k.npz 1
  java -cp "$cp" dev.edgecompress.benchmarks.EvaluationBenchmark "test-models/$model.onnx" \
    "$work/fashion_mnist_test_10k.npz" 7
done

echo "## noise floor: validate A A, 5 repetitions"
for model in mlp lenet5_bn; do
  for rep in 1 2 3 4 5; do
    edgecompress validate --reference "test-models/$model.onnx" --candidate "test-models/$model.onnx" \
      --batch 1,64 --report "$work/aa-$model-$rep.json" > /dev/null
  done
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, statistics, sys
work = sys.argv[1]
for model in ("mlp", "lenet5_bn"):
    rows = {}
    for f in sorted(glob.glob(f"{work}/aa-{model}-*.json")):
        for l in json.load(open(f))["latency"]:
            rows.setdefault(l["batch"], []).append(l["speedup"])
    for batch, s in sorted(rows.items()):
        print(f"{model} batch {batch}: speedups {[round(x, 3) for x in s]}, median {statistics.median(s):.3f},"
              f" largest deviation from 1: {max(abs(x - 1) for x in s):.3f}")
PY
rm -f "$work"/aa-*.json
