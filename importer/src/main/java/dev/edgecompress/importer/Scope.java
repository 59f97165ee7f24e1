package dev.edgecompress.importer;

import dev.edgecompress.ir.Value;
import java.util.HashMap;
import java.util.Map;

/** Value names visible while reading one graph: its own, then those of enclosing graphs. */
final class Scope {

    private final Scope outer;
    private final Map<String, Value> values = new HashMap<>();

    Scope(Scope outer) {
        this.outer = outer;
    }

    Value lookup(String name) {
        for (Scope scope = this; scope != null; scope = scope.outer) {
            Value value = scope.values.get(name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    Value local(String name) {
        return values.get(name);
    }

    void define(String name, Value value) {
        values.put(name, value);
    }
}
