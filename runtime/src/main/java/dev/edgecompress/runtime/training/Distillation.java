package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;

/**
 * Knowledge distillation (Hinton, Vinyals and Dean, 2015): the model also learns a teacher's
 * softened outputs, which carry more than the labels (which wrong classes are nearly right). The
 * loss becomes
 * <pre>
 *   (1 - weight) * cross-entropy(labels, student) + weight * T^2 * KL(softmax(teacher / T) || softmax(student / T))
 * </pre>
 * where T^2 keeps the soft term's gradients on the scale of the hard term's.
 *
 * @param teacherLogits the teacher's logits for every training sample, in dataset order, [N, classes]
 * @param weight the soft term's share, in (0, 1]
 * @param temperature T, at least 1
 */
public record Distillation(Tensor teacherLogits, double weight, double temperature) {

    public Distillation {
        if (teacherLogits.type() != DataType.FLOAT || teacherLogits.rank() != 2) {
            throw new IllegalArgumentException("teacher logits must be float [samples, classes], not "
                    + teacherLogits.type() + " " + java.util.Arrays.toString(teacherLogits.dims()));
        }
        if (!(weight > 0 && weight <= 1)) {
            throw new IllegalArgumentException("the distillation weight must be in (0, 1], got " + weight);
        }
        if (!(temperature >= 1)) {
            throw new IllegalArgumentException("the temperature must be at least 1, got " + temperature);
        }
    }
}
