#!/usr/bin/env bash
# int8 weights per channel against per tensor, ours and ONNX Runtime's quantizer, on every bundled
# Fashion-MNIST model: accuracy and speedup over float in one ONNX Runtime process (about 5 minutes).
# Needs: mvn -B -DskipTests install; pip install onnxruntime onnx (the python3 on PATH).
source "$(dirname "$0")/setup.sh"

models=()
for m in mlp mlp_unfolded_op13 lenet5_bn resnet_tiny vit_tiny; do
  models+=("test-models/$m.onnx")
done
PYTHONPATH=benchmarks python3 benchmarks/int8_weight_granularity.py "$work" "$cli_copy/edgecompress-cli.jar" "$cp" "${models[@]}"
