#!/usr/bin/env bash
# keep_faster on third-party networks whose int8 runs slower than float (PP-OCR's classifier and
# detector, torchvision MobileNetV3-Small at opset 11): static int8 with and without keep_faster at
# batch 1, calibrated on 16-32 uniform images, each file timed against float by `validate` at batch
# 1. Needs: mvn -B -DskipTests install; python3-torch, python3-torchvision (Debian's /usr/bin/python3).
source "$(dirname "$0")/setup.sh"

/usr/bin/python3 benchmarks/export_torchvision.py "$work" mobilenet_v3_small:11
t=test-models/third-party
echo "| model | static int8: speedup over float at batch 1 | static,keep_faster=1 --batch 1 | kept float |"
echo "|---|---|---|---|"
for spec in "ppocr_cls:$t/ppocr_cls_v2_opset9.onnx:x:32x3x48x192" "ppocr_det:$t/ppocr_det_v4_opset11.onnx:x:16x3x160x160" \
    "mobilenet_v3_small:$work/mobilenet_v3_small_opset11.onnx:input:16x3x224x224"; do
  IFS=: read -r name model input calib_shape <<< "$spec"
  calib="$work/kf-$name-calib.npz"
  python3 -c "import sys, numpy as np; np.savez(sys.argv[1], **{sys.argv[2]: np.random.default_rng(3).random(
      [int(d) for d in sys.argv[3].split('x')], dtype=np.float32)})" "$calib" "$input" "$calib_shape"
  shape="$input=1x${calib_shape#*x}"
  row="| $name |"
  for quantize in static static,keep_faster=1; do
    out="$work/kf-$name-${quantize//[,=]/_}.onnx"
    edgecompress compress "$model" -o "$out" --quantize "$quantize" --calib "$calib" --shape "$shape" --batch 1 \
      --report "$out.json" > /dev/null
    speedup=$(edgecompress validate --reference "$model" --candidate "$out" --shape "$shape" --batch 1 \
      | sed -n 's/^latency .*speedup \([0-9.]*x\) (95% interval \([0-9.x-]*\).*/\1 (\2)/p' | head -1)
    row="$row $speedup |"
  done
  kept=$(python3 -c "import json, sys; s = [s for s in json.load(open(sys.argv[1]))['steps'] if 'kept_float' in
      s.get('changed', {})]; print(', '.join(s[0]['changed']['kept_float']) if s else '-')" "$out.json")
  echo "$row ${kept:--} |"
done
