#!/usr/bin/env bash
# Figures of the fine-tuning issue (first part): training throughput of the TensorFlow Java
# translation side by side with PyTorch on the same networks (Adam, batch 64, 10k training images),
# and the Deep Compression style pipeline on the MLP: l1 90% + fine-tuning + static int8, pruning
# once before fine-tuning or gradually while fine-tuning, on 10k and on all 60k training images.
# Needs: mvn -B -DskipTests install; python3-torch, python3-onnx, python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train="$work/fashion_mnist_train_10k.npz"
[ -f "$train" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train" --split train \
  --rows benchmarks/fashion_mnist_train_10k.indices

echo "## training throughput (4 epochs; the first includes warm-up)"
for model in mlp lenet5_bn_unfolded_op13; do
  java -cp "$cp" dev.edgecompress.benchmarks.TrainingBenchmark "test-models/$model.onnx" "$train" 4
done
PYTHONPATH=benchmarks /usr/bin/python3 benchmarks/torch_train.py "$train" 4 2>/dev/null

train60k="$work/fashion_mnist_train_60k.npz"
[ -f "$train60k" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train60k" --split train

# deep NAME COMPRESS-OPTIONS...: compress $MODEL (default the MLP) with static int8 after the given options, validate
# on the 10k test set, print size, accuracy, speed and the fine-tuning losses.
deep() {
  local name=$1
  shift
  edgecompress compress "test-models/${MODEL:-mlp.onnx}" -o "$work/deep.onnx" "$@" --quantize static \
    --calib test-models/fashion_mnist_calib_512.npz --data "$test10k" --batch 1,64 --report "$work/deep.json" \
    > /dev/null || true
  /usr/bin/python3 - "$name" "$work/deep.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
ref, cand = r["reference"], r["candidate"]
ft = [s for s in r["steps"] if s["pass"] == "finetune"][0]
print(f"{sys.argv[1]}: gzip {ref['gzip_bytes']} -> {cand['gzip_bytes']} ({ref['gzip_bytes'] / cand['gzip_bytes']:.1f}x),"
      f" file {ref['bytes'] / cand['bytes']:.1f}x, top-1 {ref['accuracy']:.4f} -> {cand['accuracy']:.4f},"
      f" speedup {[round(l['speedup'], 2) for l in r['latency']]}, fine-tuning {ft['seconds']:.0f} s,"
      f" epoch losses {[round(e['loss'], 3) for e in ft['changed']['epochs']]}")
PY
  rm -f "$work/deep.onnx" "$work/deep.json"
}

echo "## Deep Compression pipeline on the MLP: pruning + fine-tuning (10 epochs, Adam 0.001) + static int8"
# 10k images: 157 steps an epoch; 60k: 938. Gradual schedules end at 70% of training.
deep "one-shot l1 90%, 10k" --prune l1:0.9 --finetune epochs=10,lr=0.001 --train "$train"
deep "gradual 90%, 10k" --finetune epochs=10,lr=0.001,final_sparsity=0.9,end_step=1100,frequency=50 --train "$train"
deep "one-shot l1 90%, 60k" --prune l1:0.9 --finetune epochs=10,lr=0.001 --train "$train60k"
deep "gradual 90%, 60k" --finetune epochs=10,lr=0.001,final_sparsity=0.9,end_step=6600 --train "$train60k"
deep "one-shot l1 95%, 60k" --prune l1:0.95 --finetune epochs=10,lr=0.001 --train "$train60k"
deep "gradual 95%, 60k" --finetune epochs=10,lr=0.001,final_sparsity=0.95,end_step=6600 --train "$train60k"
deep "one-shot l1 95%, 60k, lr 0.003" --prune l1:0.95 --finetune epochs=10,lr=0.003 --train "$train60k"
deep "gradual 95%, 60k, lr 0.003" --finetune epochs=10,lr=0.003,final_sparsity=0.95,end_step=6600 --train "$train60k"
echo "## the same with cosine learning-rate decay"
deep "one-shot l1 90%, 60k, cosine" --prune l1:0.9 --finetune epochs=10,lr=0.001,decay=cosine --train "$train60k"
deep "gradual 90%, 60k, cosine" --finetune epochs=10,lr=0.001,decay=cosine,final_sparsity=0.9,end_step=6600 \
  --train "$train60k"
deep "gradual 95%, 60k, cosine" --finetune epochs=10,lr=0.001,decay=cosine,final_sparsity=0.95,end_step=6600 \
  --train "$train60k"
echo "## knowledge distillation from the dense model"
deep "one-shot l1 90%, 60k, distill 0.5 T 1" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=0.5 \
  --train "$train60k"
deep "one-shot l1 90%, 60k, distill 0.2 T 4" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=0.2,temperature=4 \
  --train "$train60k"
deep "one-shot l1 90%, 60k, distill 0.5 T 4" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=0.5,temperature=4 \
  --train "$train60k"
deep "one-shot l1 90%, 60k, distill 0.9 T 2" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=0.9,temperature=2 \
  --train "$train60k"
unlabelled="$work/fashion_mnist_train_60k_unlabelled.npz"
/usr/bin/python3 -c "import numpy as np, sys; np.savez(sys.argv[2], input=np.load(sys.argv[1])['input'])" \
  "$train60k" "$unlabelled"
deep "one-shot l1 90%, 60k without labels, distill 1 T 1" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=1 \
  --train "$unlabelled"
deep "one-shot l1 90%, 60k, distill 0.9 T 1" --prune l1:0.9 --finetune epochs=10,lr=0.001,distill=0.9 \
  --train "$train60k"
echo "## 30 epochs"
deep "one-shot l1 90%, 60k, 30 epochs" --prune l1:0.9 --finetune epochs=30,lr=0.001 --train "$train60k"
deep "one-shot l1 90%, 60k, 30 epochs, distill 0.9 T 2" --prune l1:0.9 \
  --finetune epochs=30,lr=0.001,distill=0.9,temperature=2 --train "$train60k"
echo "## LeNet-5"
MODEL=lenet5_bn.onnx deep "lenet5 one-shot l1 90%, 60k" --prune l1:0.9 --finetune epochs=10,lr=0.001 --train "$train60k"
