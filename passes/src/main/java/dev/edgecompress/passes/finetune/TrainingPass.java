package dev.edgecompress.passes.finetune;

import dev.edgecompress.passes.Pass;

/** A pass that trains (fine-tuning, quantization-aware training), and how. */
public interface TrainingPass extends Pass {

    FineTuneConfig training();
}
