#!/usr/bin/env bash
# The real-model corpus (issue: every pass reaches every weight on third-party exports): the five
# vendored third-party models of test-models/third-party and torchvision architectures exported at
# opsets 9 to 17 (MobileNetV2, MobileNetV3-Small, ResNet18, EfficientNet-B0, ShuffleNetV2), each
# through l1 and channel pruning, low-rank, static and dynamic int8 under a 20 dB SQNR gate (and
# ONNX Runtime's own Python quantizer on the same inputs, side by side), plus the fine-tuning
# translation check. Needs: mvn -B -DskipTests install; python3-torch, python3-torchvision (Debian's
# /usr/bin/python3); pip install onnxruntime onnx (the python3 on PATH).
source "$(dirname "$0")/setup.sh"

/usr/bin/python3 benchmarks/export_torchvision.py "$work" mobilenet_v2:9 mobilenet_v3_small:11 resnet18:13 efficientnet_b0:15 shufflenet_v2_x1_0:17
t=test-models/third-party
python3 benchmarks/real_models.py "$work" "$cli_copy/edgecompress-cli.jar" \
  "$t/ppocr_cls_v2_opset9.onnx:1x3x48x192" "$t/ppocr_rec_v4_opset9.onnx:1x3x48x320" \
  "$t/ppocr_det_v4_opset11.onnx:1x3x160x160" "$t/silero_vad_legacy.onnx:1x512" "$t/silero_vad_v5.onnx:1x512" \
  "$work/mobilenet_v2_opset9.onnx:1x3x224x224" "$work/mobilenet_v3_small_opset11.onnx:1x3x224x224" \
  "$work/resnet18_opset13.onnx:1x3x224x224" "$work/efficientnet_b0_opset15.onnx:1x3x224x224" \
  "$work/shufflenet_v2_x1_0_opset17.onnx:1x3x224x224"
