package dev.edgecompress.ir;

/**
 * A setting of a step, a pass or a training run is invalid. {@link #field()} names the field
 * ("sparsity"), so a recipe can point at the step and field and an option at its key.
 */
public final class SettingException extends IllegalArgumentException {

    private final String field;

    public SettingException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
