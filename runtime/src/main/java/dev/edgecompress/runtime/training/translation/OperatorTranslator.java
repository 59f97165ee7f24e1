package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Node;

/**
 * Translates one ONNX operator into TensorFlow ops: reads the operands of the node's inputs from
 * the context and defines its outputs there; refuses an attribute value it cannot honour with a
 * {@link dev.edgecompress.runtime.training.TranslationException} naming the node.
 */
@FunctionalInterface
interface OperatorTranslator {

    void translate(Node node, TranslationContext context);
}
