package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.clustering.SharedValues;
import dev.edgecompress.passes.finetune.FakeQuantization;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.passes.finetune.TrainingPass;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Quantization-aware training, then static int8 in QDQ form: fake quantization goes exactly where
 * {@link StaticQuantizationPass} puts QuantizeLinear/DequantizeLinear (the same
 * {@link QuantizationPlan}), activation ranges start from calibration, the weights and the ranges
 * are fine-tuned together (through the context's {@link Trainer}), and the model is quantized with
 * the trained weights and ranges, so ONNX Runtime computes what training saw.
 */
public final class QuantizationAwareTrainingPass implements TrainingPass {

    /** The narrowest starting range, for activations calibration saw only as 0 (a dead ReLU). */
    private static final double MIN_RANGE = 1e-3;

    private final QuantizationConfig config;
    private final FineTuneConfig training;

    public QuantizationAwareTrainingPass(QuantizationConfig config, FineTuneConfig training) {
        if (config.symmetricActivations()) {
            throw new SettingException("activations", "quantization-aware training trains uint8 activation"
                    + " ranges; int8 activations are for static quantization");
        }
        if (training.schedule() != null) {
            throw new SettingException("schedule", "prune gradually in a finetune step before quantization-aware"
                    + " training, not during it");
        }
        this.config = config;
        this.training = training;
    }

    @Override
    public FineTuneConfig training() {
        return training;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.TRAINER, Need.CALIBRATION_DATA, Need.CLEANUP_BEFORE, Need.QUANTIZATION_OPSET);
    }

    @Override
    public String name() {
        return "quantize-qat";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> params = config.params(true);
        params.put("training", training.params());
        return params;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        QuantizationPlan plan = QuantizationPlan.of(model.graph(), config, false);
        if (plan.activations.isEmpty()) {
            return PassResult.unchanged();
        }
        Trainer trainer = context.trainer(name());
        ActivationSource source = context.activations(name());
        Map<Value, double[]> calibrated = StaticQuantizationPass.calibrate(model, plan, source, context, config);
        Map<String, double[]> ranges = new LinkedHashMap<>();
        calibrated.forEach((value, range) -> ranges.put(value.name(), range[1] - range[0] < MIN_RANGE
                ? new double[] {range[0], range[0] + MIN_RANGE} : range));
        Map<String, Integer> weightAxes = new LinkedHashMap<>();
        for (Node node : plan.weighted) {
            weightAxes.put(node.input(1).name(),
                    config.perChannel(node.name()) ? StaticQuantizationPass.weightAxis(node) : -1);
        }
        SharedValues.Guard clusters = SharedValues.guard(model, training.keepClusters());
        Trainer.Result result = trainer.train(model, training, new FakeQuantization(ranges, weightAxes),
                context::progress);
        Map<String, Object> keptClusters = clusters.check(model);

        Map<Value, double[]> trained = new LinkedHashMap<>();
        for (Value value : calibrated.keySet()) {
            double[] range = result.activationRanges().get(value.name());
            if (range == null) {
                throw new IllegalStateException("training returned no range for " + value.name());
            }
            trained.put(value, range);
        }
        Map<String, Object> details = StaticQuantizationPass.rewrite(model, plan, trained, config);
        details.put("calibration_samples", source.samples());
        details.put("device", result.device());
        details.put("epochs", result.epochs());
        if (keptClusters != null) {
            details.put("kept_clusters", keptClusters);
        }
        return clusters.warned(PassResult.changed(details), name());
    }
}
