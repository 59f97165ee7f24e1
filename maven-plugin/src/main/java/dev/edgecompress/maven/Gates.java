package dev.edgecompress.maven;

import dev.edgecompress.exporter.validation.Gate;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;

/** The gates a goal's parameters ask for, each read as the command line reads its option. */
final class Gates {

    private final List<Gate> gates = new ArrayList<>();

    /** Adds {@code kind} when {@code value} is set; a bad value fails naming the parameter. */
    Gates add(Gate.Kind kind, String parameter, String value) throws MojoFailureException {
        if (value == null || value.isBlank()) {
            return this;
        }
        try {
            gates.add(Gate.parse(kind, value));
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException(parameter + ": " + e.getMessage(), e);
        }
        return this;
    }

    List<Gate> list() {
        return List.copyOf(gates);
    }
}
