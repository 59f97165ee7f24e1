package dev.edgecompress.cli;

import java.nio.file.Path;

/** Where the bundled test models are (the repository's test-models folder). */
final class TestModels {

    private TestModels() {
    }

    static Path dir() {
        String configured = System.getProperty("edgecompress.testModels");
        return configured != null ? Path.of(configured) : Path.of("..", "test-models");
    }

    static Path model(String name) {
        return dir().resolve(name);
    }
}
