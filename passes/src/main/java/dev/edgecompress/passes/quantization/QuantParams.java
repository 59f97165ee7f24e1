package dev.edgecompress.passes.quantization;

/**
 * Linear quantization parameters: real = scale x (q - zeroPoint).
 *
 * @param signed int8 (symmetric, zero point 0) rather than uint8 (asymmetric)
 */
record QuantParams(float scale, int zeroPoint, boolean signed) {

    /** uint8 covering [low, high] (which contains 0): the zero point makes 0.0 exact. */
    static QuantParams asymmetricUint8(double low, double high) {
        double scale = (high - low) / 255;
        if (scale <= 0) {
            return new QuantParams(1f, 0, false);
        }
        int zeroPoint = (int) Math.max(0, Math.min(255, Math.rint(-low / scale)));
        return new QuantParams((float) scale, zeroPoint, false);
    }

    /** int8 symmetric around 0 covering [-a, a], a = max(|low|, |high|). */
    static QuantParams symmetricInt8(double low, double high) {
        double bound = Math.max(Math.abs(low), Math.abs(high));
        return new QuantParams(bound > 0 ? (float) (bound / 127) : 1f, 0, true);
    }
}
