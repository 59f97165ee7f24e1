#!/usr/bin/env bash
# Figures of quantization-aware training: QAT against static post-training int8 on every shared
# model (10k training images, the 10k test set), the fake-quant graph's held-out accuracy in
# TensorFlow against the exported model's on ONNX Runtime, and QAT at the end of the Deep
# Compression pipeline (l1 90% + fine-tuning on 60k images).
# Needs: mvn -B -DskipTests install; python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train="$work/fashion_mnist_train_10k.npz"
[ -f "$train" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train" --split train \
  --rows benchmarks/fashion_mnist_train_10k.indices
train60k="$work/fashion_mnist_train_60k.npz"
[ -f "$train60k" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train60k" --split train
calib=test-models/fashion_mnist_calib_512.npz

# run NAME MODEL OPTIONS...: compress MODEL with OPTIONS, validate on the 10k test set, print the figures.
run() {
  local name=$1 model=$2
  shift 2
  edgecompress compress "test-models/$model" -o "$work/qat.onnx" "$@" --calib "$calib" --data "$test10k" \
    --batch 1,64 --report "$work/qat.json" > /dev/null 2> "$work/qat.err" || true
  /usr/bin/python3 - "$name" "$work/qat.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
ref, cand = r["reference"], r["candidate"]
line = (f"{sys.argv[1]}: top-1 {ref['accuracy']:.4f} -> {cand['accuracy']:.4f}"
        f" ({(cand['accuracy'] - ref['accuracy']) * 100:+.2f} pt), gzip {ref['gzip_bytes'] / cand['gzip_bytes']:.1f}x,"
        f" speedup {[round(l['speedup'], 2) for l in r['latency']]}")
for step in r["steps"]:
    if step["pass"] in ("quantize-qat", "finetune"):
        epochs = step["changed"]["epochs"]
        line += (f"; {step['pass']} {step['seconds']:.0f} s, held-out top-1 by epoch (TensorFlow)"
                 f" {[round(e['held_out_accuracy'], 4) for e in epochs]}")
        if step["pass"] == "quantize-qat":
            tf = epochs[-1]["held_out_accuracy"]
            line += f", TensorFlow fake-quant vs ONNX Runtime {(cand['accuracy'] - tf) * 100:+.2f} pt"
print(line)
PY
  rm -f "$work/qat.onnx" "$work/qat.json"
}

echo "## static int8 vs QAT (defaults: 2 epochs, Adam 0.00001) on 10k training images"
for model in mlp.onnx mlp_unfolded_op13.onnx lenet5_bn.onnx lenet5_bn_unfolded_op13.onnx; do
  run "$model static" "$model" --quantize static
  run "$model qat" "$model" --quantize qat --train "$train"
done
echo "## QAT step size and length (MLP)"
run "mlp qat lr 0.0001" mlp.onnx --quantize qat,lr=0.0001 --train "$train"
run "mlp qat lr 0.001" mlp.onnx --quantize qat,lr=0.001 --train "$train"
run "mlp qat 5 epochs" mlp.onnx --quantize qat,epochs=5 --train "$train"
run "mlp qat distill 1 (no labels needed)" mlp.onnx --quantize qat,distill=1 --train "$train"
echo "## Deep Compression pipeline on the MLP: l1 90% + fine-tuning (10 epochs, 60k) + int8"
run "l1 90% + finetune + static" mlp.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 --quantize static \
  --train "$train60k"
run "l1 90% + finetune + qat" mlp.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 --quantize qat \
  --train "$train60k"
run "l1 90% + finetune + qat 5 epochs lr 0.0003" mlp.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 \
  --quantize qat,epochs=5,lr=0.0003 --train "$train60k"
run "lenet5 l1 90% + finetune + static" lenet5_bn.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 \
  --quantize static --train "$train60k"
run "lenet5 l1 90% + finetune + qat" lenet5_bn.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 \
  --quantize qat --train "$train60k"
echo "## Control: the dense MLP fine-tuned the same way (how much of the gains is more training)"
run "dense + finetune + static" mlp.onnx --finetune epochs=10,lr=0.001 --quantize static --train "$train60k"
echo "## 25x: gradual pruning to 95% while fine-tuning (ends at 70% of the steps), then int8"
run "gradual 95% + finetune + static" mlp.onnx --finetune epochs=10,lr=0.001,final_sparsity=0.95,end_step=6600 \
  --quantize static --train "$train60k"
run "gradual 95% + finetune + qat" mlp.onnx --finetune epochs=10,lr=0.001,final_sparsity=0.95,end_step=6600 \
  --quantize qat --train "$train60k"
echo "## BatchNormalization while fine-tuning (LeNet-5 with its BatchNormalization unfolded), l1 90%"
run "lenet5 unfolded, batch_norm train" lenet5_bn_unfolded_op13.onnx --prune l1:0.9 \
  --finetune epochs=10,lr=0.001 --quantize static --train "$train60k"
run "lenet5 unfolded, batch_norm frozen" lenet5_bn_unfolded_op13.onnx --prune l1:0.9 \
  --finetune epochs=10,lr=0.001,batch_norm=frozen --quantize static --train "$train60k"
echo "## Early stop at the accuracy gate, and the cost of checkpoints (MLP, l1 90%, 60k)"
run "l1 90% + finetune up to 30 epochs, early_stop at --max-accuracy-drop 0.5 + static" mlp.onnx --prune l1:0.9 \
  --finetune epochs=30,lr=0.001,early_stop=1 --max-accuracy-drop 0.5 --quantize static --train "$train60k"
rm -rf "$work/checkpoints"
run "l1 90% + finetune 10 epochs with --checkpoint + static" mlp.onnx --prune l1:0.9 --finetune epochs=10,lr=0.001 \
  --quantize static --train "$train60k" --checkpoint "$work/checkpoints"
du -sh "$work/checkpoints" | sed 's/^/checkpoints on disk: /'
echo "## Optimizers (MLP, l1 90%, 10 epochs on 60k, static int8)"
for optimizer in sgd,lr=0.05 momentum,lr=0.01 rmsprop,lr=0.0005 adagrad,lr=0.01 adam,lr=0.001,weight_decay=0.0001; do
  run "optimizer=$optimizer" mlp.onnx --prune l1:0.9 --finetune "epochs=10,optimizer=$optimizer" --quantize static \
    --train "$train60k"
done
