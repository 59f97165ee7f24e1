package dev.edgecompress.passes;

/**
 * A pass configuration is invalid. {@link #field()} names the field ("sparsity"), so a recipe
 * can point at the step and field.
 */
public final class PassConfigException extends IllegalArgumentException {

    private final String field;

    public PassConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
