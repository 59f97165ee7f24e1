#!/usr/bin/env bash
# int8 speed and accuracy against ONNX Runtime's own quantizer (issue: int8 at least as fast as
# ONNX Runtime's quantizer on every model): every bundled model, and torchvision MobileNetV2,
# ResNet18 and EfficientNet-B0 exported by this script at 224 x 224 (opset 13), each quantized
# statically by both tools from the same samples; size, top-1 or SQNR, and speedup over float at
# batch 1 and 64 (8 at 224 x 224), the three models timed in one ONNX Runtime process with
# spinning off. With the argument "fashion", the Fashion-MNIST models alone. Needs:
# mvn -B -DskipTests install; python3-torch, python3-torchvision (Debian's /usr/bin/python3);
# pip install onnxruntime onnx (the python3 on PATH).
source "$(dirname "$0")/setup.sh"

models=()
for m in mlp mlp_unfolded_op13 lenet5_bn lenet5_bn_unfolded_op13 resnet_tiny vit_tiny; do
  models+=("test-models/$m.onnx:fashion:1,64")
done
if [ "${1:-}" != fashion ]; then
  /usr/bin/python3 benchmarks/export_torchvision.py "$work" mobilenet_v2:13 resnet18:13 efficientnet_b0:13
  for m in mobilenet_v2 resnet18 efficientnet_b0; do
    models+=("$work/${m}_opset13.onnx:image224:1,8")
  done
fi
python3 benchmarks/int8_vs_ortq.py "$work" "$cli_copy/edgecompress-cli.jar" "$cp" "${models[@]}"
