#!/usr/bin/env bash
# tune on every bundled model: --max-accuracy-drop 1 --budget 120, objective size; judged on
# Fashion-MNIST's 10,000 test images, fine-tuning on 10,000 training images. For each winner:
# its recipe, trial count, sizes and accuracy from tune's report, and speedup at batch 1 and 64
# from validate. Then the MLP with --jobs 2, on the local pool and on Spark (local[2]), against
# --jobs 1. Needs: mvn -B -DskipTests install;
# python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train="$work/fashion_mnist_train_10k.npz"
[ -f "$train" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train" --split train \
  --rows benchmarks/fashion_mnist_train_10k.indices
calib=test-models/fashion_mnist_calib_512.npz

# tune_one MODEL JOBS [OPTIONS...]: tune, validate the winner, print a table row (--spark runs the
# repository's launcher, which puts the Spark module on the class path).
tune_one() {
  local model=$1 jobs=$2
  shift 2
  local name out report tune=(edgecompress)
  name=$(basename "$model" .onnx)$(printf '%s' "$*" | tr -c 'a-z0-9' '-')
  out="$work/tune-$name-$jobs.onnx"
  report="$work/tune-$name-$jobs.json"
  rm -f "$out" "$report"
  [[ "$*" == *--spark* ]] && tune=(./edgecompress)
  "${tune[@]}" tune "test-models/$model" -o "$out" --data "$test10k" --train "$train" --calib "$calib" \
    --max-accuracy-drop 1 --budget 120 --jobs "$jobs" --report "$report" "$@" > "$work/tune-$name-$jobs.log" 2>&1 || true
  if [ -f "$out" ]; then
    edgecompress validate --reference "test-models/$model" --candidate "$out" --batch 1,64 \
      --report "$work/tune-$name-$jobs.validate.json" > /dev/null
  fi
  /usr/bin/python3 - "$report" "$work/tune-$name-$jobs.validate.json" "$model${*:+ $*}" "$jobs" "test-models/$model" <<'PY'
import gzip, json, os, sys
r = json.load(open(sys.argv[1]))
trials = r["trials"]
original = os.path.getsize(sys.argv[5])
original_gzip = len(gzip.compress(open(sys.argv[5], "rb").read(), 6))
stages = {}
for t in trials:
    stages[t["stage"]] = stages.get(t["stage"], 0) + 1
if r["winner"] is None:
    print(f"| {sys.argv[3]} | {sys.argv[4]} | {len(trials)} ({stages}) | no trial passed | | | | | {r['seconds']:.0f} s |")
    sys.exit()
w = trials[r["winner"] - 1]
v = json.load(open(sys.argv[2]))
speed = " / ".join(f"{row['speedup']:.2f}x" for row in v["latency"])
recipe = "; ".join(s["type"] + " " + " ".join(f"{k}={x}" for k, x in s.items() if k not in ("type", "exclude"))
                   + (f" (exclude {len(s['exclude'])} nodes)" if "exclude" in s else "") for s in w["steps"])
print(f"| {sys.argv[3]} | {sys.argv[4]} | {len(trials)} ({', '.join(f'{k} {n}' for k, n in stages.items())}) | {recipe} | "
      f"{original / w['bytes']:.1f}x | {original_gzip / w['gzip_bytes']:.1f}x | {-w['accuracy_drop']:+.2f} | {speed} | "
      f"{r['seconds']:.0f} s |")
PY
}

echo "| model | jobs | trials (by stage) | winner | file | gzip | top-1 pt | speedup b1 / b64 | search |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in mlp.onnx lenet5_bn.onnx resnet_tiny.onnx vit_tiny.onnx; do
  tune_one "$model" 1
done
tune_one mlp.onnx 2
tune_one mlp.onnx 2 --spark 'local[2]'
