package dev.edgecompress.runtime.training;

/** A model uses an operator (or a form of one) the TensorFlow translation does not cover. */
public final class TranslationException extends RuntimeException {

    public TranslationException(String message) {
        super(message);
    }
}
