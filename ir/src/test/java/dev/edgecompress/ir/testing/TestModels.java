package dev.edgecompress.ir.testing;

import java.nio.file.Path;

/**
 * The bundled test models (the repository's {@code test-models} folder), for the tests of every
 * module: Maven passes the folder as {@code edgecompress.testModels}; a test run from a module's
 * folder without Maven finds it beside the module.
 */
public final class TestModels {

    private TestModels() {
    }

    public static Path dir() {
        String configured = System.getProperty("edgecompress.testModels");
        return configured != null ? Path.of(configured) : Path.of("..", "test-models");
    }

    public static Path model(String name) {
        return dir().resolve(name);
    }
}
