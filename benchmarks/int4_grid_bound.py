"""The most a 4-bit uniform grid per block of 32 can gain over round-to-nearest on normal weights.

Draws 20,000 blocks of 32 standard normal values (the random MatMul stack's weights), quantizes
them with ONNX Runtime's RTN rule (symmetric, the largest magnitude to -8), and with the best of
861 (range, offset) grids per block, each block's own least squared error: an upper bound for any
method that stores one scale and one 4-bit zero point per block (MatMulNBits), HQQ and GPTQ
included when, as on this stack, the inputs carry no direction to move the error into.
Run: python3 benchmarks/int4_grid_bound.py
"""
import numpy as np

rng = np.random.default_rng(0)
w = rng.standard_normal((20000, 32)).astype(np.float32)


def sqnr(q):
    return 10 * np.log10((w ** 2).sum() / ((w - q) ** 2).sum())


largest = w[np.arange(len(w)), np.argmax(np.abs(w), axis=1)]
scale = largest / -8.0
rtn = np.clip(np.round(w / scale[:, None]), -8, 7) * scale[:, None]

best_error = np.full(len(w), np.inf)
best = np.zeros_like(w)
lo, hi = w.min(1), w.max(1)
for shrink in np.linspace(0.6, 1.0, 41):
    for shift in np.linspace(-0.2, 0.2, 21):
        span = (hi - lo) * shrink
        s = span / 15
        centre = (hi + lo) / 2 + shift * (hi - lo)
        zero = np.clip(np.round(-(centre - span / 2) / s), 0, 15)
        q = (np.clip(np.round(w / s[:, None]) + zero[:, None], 0, 15) - zero[:, None]) * s[:, None]
        error = ((w - q) ** 2).sum(1)
        better = error < best_error
        best_error[better] = error[better]
        best[better] = q[better]

print(f"weight SQNR, blocks of 32 normal values: rtn {sqnr(rtn):.2f} dB, best uniform grid per block "
      f"{sqnr(best):.2f} dB (+{sqnr(best) - sqnr(rtn):.2f} dB)")
