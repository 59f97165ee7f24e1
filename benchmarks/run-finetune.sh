#!/usr/bin/env bash
# Figures of the fine-tuning issue (first part): training throughput of the TensorFlow Java
# translation side by side with PyTorch on the same networks (Adam, batch 64, 10k training images),
# and the Deep Compression style pipeline on the MLP: l1 90% + fine-tuning + static int8.
# Needs: mvn -B -DskipTests install; python3-torch, python3-onnx, python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train="$work/fashion_mnist_train_10k.npz"
cp ../shared/data/fashion_mnist_train_10k.npz "$train"

echo "## training throughput (4 epochs; the first includes warm-up)"
for model in mlp lenet5_bn_unfolded_op13; do
  java -cp "$cp" dev.edgecompress.benchmarks.TrainingBenchmark "test-models/$model.onnx" "$train" 4
done
PYTHONPATH=benchmarks /usr/bin/python3 benchmarks/torch_train.py "$train" 4 2>/dev/null

echo "## l1 90% + fine-tuning (10 epochs) + static int8 on the MLP"
./edgecompress compress test-models/mlp.onnx -o "$work/deep.onnx" --prune l1:0.9 \
  --finetune epochs=10,lr=0.001 --train "$train" --quantize static --calib test-models/fashion_mnist_calib_512.npz \
  --data "$test10k" --batch 1,64 --report "$work/deep.json" > /dev/null || true
/usr/bin/python3 - "$work/deep.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ref, cand = r["reference"], r["candidate"]
print(f"gzip {ref['gzip_bytes']} -> {cand['gzip_bytes']} ({ref['gzip_bytes'] / cand['gzip_bytes']:.1f}x),"
      f" file {ref['bytes'] / cand['bytes']:.1f}x, top-1 {ref['accuracy']:.4f} -> {cand['accuracy']:.4f},"
      f" speedup {[round(l['speedup'], 2) for l in r['latency']]},"
      f" epoch losses {[round(e['loss'], 3) for e in r['steps'][1]['changed']['epochs']]}")
PY
rm -f "$work/deep.onnx" "$work/deep.json"
