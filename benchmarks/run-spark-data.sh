#!/usr/bin/env bash
# Calibration and evaluation with the data split over Spark executors (--spark local[2]) against
# one process: static int8 with entropy calibration (two passes: ranges, then histograms) on
# 10,000 Fashion-MNIST training images, validated on the 10,000 test images, for each bundled
# model. Prints whether the written models are byte-identical and the reports' accuracy and
# output figures equal, and the wall time of each run (latency timed briefly: --batch 1 --runs 3).
# Needs: mvn -B -DskipTests install (builds spark/target/lib); python3-numpy, dataset-fashion-mnist.
source "$(dirname "$0")/setup.sh"
train="$work/fashion_mnist_train_10k.npz"
[ -f "$train" ] || /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$train" --split train \
  --rows benchmarks/fashion_mnist_train_10k.indices

# run_one MODEL NAME [--spark MASTER]: compress with validation, print the seconds it took.
run_one() {
  local model=$1 name=$2 tool=(edgecompress)
  shift 2
  [[ "$*" == *--spark* ]] && tool=(./edgecompress)
  rm -f "$work/$name.onnx" "$work/$name.json"
  local start end
  start=$(date +%s.%N)
  "${tool[@]}" compress "test-models/$model" -o "$work/$name.onnx" --quantize static --calibration entropy \
    --calib "$train" --data "$test10k" --max-accuracy-drop 5 --batch 1 --runs 3 --warmup 1 \
    --report "$work/$name.json" "$@" > "$work/$name.log" 2>&1
  end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.1f", $2 - $1}'
}

echo "| model | identical model | identical figures | top-1 (ref -> int8) | SQNR | one process | Spark local[2] |"
echo "|---|---|---|---|---|---|---|"
for model in mlp.onnx lenet5_bn.onnx resnet_tiny.onnx vit_tiny.onnx; do
  base=spark-data-$(basename "$model" .onnx)
  here=$(run_one "$model" "$base-here")
  spark=$(run_one "$model" "$base-spark" --spark 'local[2]')
  /usr/bin/python3 - "$work/$base-here" "$work/$base-spark" "$model" "$here" "$spark" <<'PY'
import json, sys
here, spark, model, t_here, t_spark = sys.argv[1:]
same_model = open(here + ".onnx", "rb").read() == open(spark + ".onnx", "rb").read()
def figures(path):
    r = json.load(open(path + ".json"))
    m = {k: v for k, v in r["metrics"].items() if k not in ("evaluation_seconds", "runtime_share")}
    return m, r["reference"]["accuracy"], r["candidate"]["accuracy"]
a, b = figures(here), figures(spark)
m = a[0]
print(f"| {model} | {'yes' if same_model else 'NO'} | {'yes' if a == b else 'NO'} | "
      f"{100 * a[1]:.2f}% -> {100 * a[2]:.2f}% | {m['sqnr_db']:.1f} dB | {t_here} s | {t_spark} s |")
PY
done
