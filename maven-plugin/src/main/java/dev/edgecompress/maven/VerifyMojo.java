package dev.edgecompress.maven;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceException;
import dev.edgecompress.runtime.ProviderUnavailableException;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Validates a compressed model against its reference on ONNX Runtime, as {@code edgecompress
 * validate} does, and fails the build when a gate fails (with the gate's message) or an input is
 * bad (with the one-line error). Writes JSON, Markdown and JUnit XML reports.
 */
@Mojo(name = "verify", defaultPhase = LifecyclePhase.VERIFY, threadSafe = false)
public final class VerifyMojo extends AbstractMojo {

    /** The original model. */
    @Parameter(required = true)
    private File reference;

    /** The compressed model. */
    @Parameter(required = true)
    private File candidate;

    /** Samples to compare the two on (.npz or an ONNX test-data folder), with labels for accuracy. */
    @Parameter
    private File data;

    /** Top-1 accuracy may drop by at most this many points (needs data with labels). */
    @Parameter
    private String maxAccuracyDrop;

    /** At least this fraction of samples keep the reference's top-1 class (needs data). */
    @Parameter
    private String minAgreement;

    /** Every output's SQNR against the reference at least this many dB (needs data). */
    @Parameter
    private String minSqnr;

    /** The candidate at most this large, with its external data: 300KB, 2MB, or bytes. */
    @Parameter
    private String maxSize;

    /** The candidate at most this fraction of the reference's size. */
    @Parameter
    private String maxSizeRatio;

    /** The lower end of the speedup's 95% interval at least this, at every batch size. */
    @Parameter
    private String minSpeedup;

    /** Execution providers to time on, comma-separated: cpu, cuda. */
    @Parameter(defaultValue = "cpu")
    private String ep;

    /** Batch sizes to time, comma-separated. */
    @Parameter(defaultValue = "1,64")
    private String batch;

    @Parameter(defaultValue = "${project.build.directory}/edgecompress-reports")
    private File reportDirectory;

    /** Skips the check ({@code -Dedgecompress.skip}). */
    @Parameter(property = "edgecompress.skip", defaultValue = "false")
    private boolean skip;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("edgecompress verify skipped");
            return;
        }
        List<Gate> gates = new Gates().add(Gate.Kind.MAX_ACCURACY_DROP, "maxAccuracyDrop", maxAccuracyDrop)
                .add(Gate.Kind.MIN_AGREEMENT, "minAgreement", minAgreement)
                .add(Gate.Kind.MIN_SQNR, "minSqnr", minSqnr)
                .add(Gate.Kind.MAX_SIZE, "maxSize", maxSize)
                .add(Gate.Kind.MAX_SIZE_RATIO, "maxSizeRatio", maxSizeRatio)
                .add(Gate.Kind.MIN_SPEEDUP, "minSpeedup", minSpeedup).list();
        for (Gate gate : gates) {
            if (gate.kind().needsData() && data == null) {
                throw new MojoFailureException(gate.kind().reportName() + " needs data to evaluate on: set <data>");
            }
        }
        ValidationReport report;
        try {
            Validation validation = Validation.of(reference.toPath(), candidate.toPath())
                    .providers(providers()).latencyBatches(BatchSizes.parse(batch)).gates(gates);
            if (data != null) {
                validation.data(data.toPath());
            }
            report = validation.run();
        } catch (ModelFormatException | DataFormatException | SettingException | ProviderUnavailableException
                | InferenceException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
        Reports.write(report, reportDirectory, "edgecompress-verify", getLog());
        Reports.requirePassed(report);
    }

    private List<ExecutionProvider> providers() throws MojoFailureException {
        List<ExecutionProvider> providers = new ArrayList<>();
        for (String part : ep.split(",")) {
            try {
                providers.add(ExecutionProvider.parse(part.trim()));
            } catch (IllegalArgumentException e) {
                throw new MojoFailureException("ep: " + e.getMessage(), e);
            }
        }
        return providers;
    }
}
