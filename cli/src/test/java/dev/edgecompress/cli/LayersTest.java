package dev.edgecompress.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of the product code, arrows only downward: ir <- importer, passes, runtime <-
 * exporter <- pipeline <- cli (the benchmarks, above the cli, are not on its class path). The module poms already keep each module from seeing the ones
 * above it; these rules also keep siblings apart and keep the ONNX schema inside the two modules
 * that read and write ONNX files.
 */
class LayersTest {

    private static JavaClasses product;

    @BeforeAll
    static void importProductClasses() {
        product = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar")) // the ir module's test helpers
                .importPackages("dev.edgecompress");
        for (String layer : List.of("ir", "importer", "passes", "runtime", "exporter", "pipeline", "cli")) {
            // Rules over no classes pass by accident.
            assertTrue(product.stream().filter(c -> c.getPackageName().startsWith("dev.edgecompress." + layer))
                    .count() > 5, "no product classes of " + layer + " found");
        }
    }

    @Test
    void arrowsPointOnlyDownward() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("ir").definedBy("dev.edgecompress.ir..")
                .layer("importer").definedBy("dev.edgecompress.importer..")
                .layer("passes").definedBy("dev.edgecompress.passes..")
                .layer("runtime").definedBy("dev.edgecompress.runtime..")
                .layer("exporter").definedBy("dev.edgecompress.exporter..")
                .layer("pipeline").definedBy("dev.edgecompress.pipeline..")
                .layer("cli").definedBy("dev.edgecompress.cli..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("pipeline").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("exporter").mayOnlyBeAccessedByLayers("pipeline", "cli")
                .whereLayer("importer").mayOnlyBeAccessedByLayers("exporter", "pipeline", "cli")
                .whereLayer("passes").mayOnlyBeAccessedByLayers("exporter", "pipeline", "cli")
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("exporter", "pipeline", "cli")
                .check(product);
    }

    @Test
    void onlyTheImporterAndExporterTouchTheOnnxSchema() {
        noClasses().that().resideOutsideOfPackages("dev.edgecompress.importer..", "dev.edgecompress.exporter..")
                .should().dependOnClassesThat().resideInAnyPackage("com.google.protobuf..",
                        "dev.edgecompress.importer.proto..")
                .check(product);
    }

    @Test
    void theIrDependsOnNothingButTheJdk() {
        noClasses().that().resideInAPackage("dev.edgecompress.ir..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.edgecompress.ir..", "java..")
                .check(product);
    }

    @Test
    void onlyTheRuntimeLoadsNativeInferenceAndTrainingLibraries() {
        noClasses().that().resideOutsideOfPackage("dev.edgecompress.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage("ai.onnxruntime..", "org.tensorflow..")
                .check(product);
    }
}
