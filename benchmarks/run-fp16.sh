#!/usr/bin/env bash
# float16 (issue: precision family): every bundled Fashion-MNIST model converted by edgecompress
# (--quantize fp16, and fp16,compute=fp32) and by ONNX Runtime's float16 converter; size, top-1
# on the 2,000 bundled test images, float32 ops left, CPU speedup at batch 1 and 64. Needs:
# mvn -B -DskipTests install; pip install onnxruntime onnx (the python3 on PATH).
source "$(dirname "$0")/setup.sh"
python3 benchmarks/fp16_vs_ort.py "$work" "$cli_copy/edgecompress-cli.jar" test-models/mlp.onnx \
  test-models/lenet5_bn.onnx test-models/resnet_tiny.onnx test-models/vit_tiny.onnx
