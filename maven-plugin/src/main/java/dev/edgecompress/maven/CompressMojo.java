package dev.edgecompress.maven;

import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.pipeline.Recipe;
import dev.edgecompress.pipeline.RecipeException;
import dev.edgecompress.runtime.InferenceException;
import java.io.File;
import java.io.IOException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Compresses a model by a recipe into {@code target/}, as {@code edgecompress compress --recipe}
 * does (the recipe's gates included, validated against the input when data is given), for builds
 * that produce the edge artifact. A failed gate fails the build; a failed run leaves no output.
 */
@Mojo(name = "compress", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = false)
public final class CompressMojo extends AbstractMojo {

    /** The trained model. */
    @Parameter(required = true)
    private File model;

    /** The pipeline as a recipe file: ordered steps and gates (see README). */
    @Parameter(required = true)
    private File recipe;

    /** The model to write. */
    @Parameter(defaultValue = "${project.build.directory}/${project.artifactId}.onnx")
    private File output;

    /** Calibration data for static quantization (default: samples of the training, else evaluation data). */
    @Parameter
    private File calib;

    /** Training data for fine-tuning and quantization-aware training. */
    @Parameter
    private File train;

    /** Held-out data the result is validated on, with labels for accuracy gates. */
    @Parameter
    private File data;

    /**
     * Batch sizes the model will run at, comma-separated: validation times them, and a quantize
     * step with keep_faster keeps float what int8 slows at them (default 1 and 64).
     */
    @Parameter
    private String batch;

    @Parameter(defaultValue = "${project.build.directory}/edgecompress-reports")
    private File reportDirectory;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        CompressionJob.Result result;
        try {
            output.getParentFile().mkdirs();
            CompressionJob job = CompressionJob.of(model.toPath(), output.toPath(), Recipe.read(recipe.toPath()))
                    .validate(true).log(getLog()::info);
            if (calib != null) {
                job.calibrationData(calib.toPath());
            }
            if (train != null) {
                job.trainingData(train.toPath());
            }
            if (data != null) {
                job.evaluationData(data.toPath());
            }
            if (batch != null) {
                job.latencyBatches(BatchSizes.parse(batch));
            }
            result = job.run();
        } catch (ModelFormatException | DataFormatException | RecipeException | SettingException
                | UnloadableModelException | InferenceException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException(output + ": " + e.getMessage(), e);
        }
        result.warnings().forEach(getLog()::warn);
        getLog().info("wrote " + output + " (" + result.written().modelBytes() + " bytes)");
        Reports.write(result.report(), reportDirectory, "edgecompress-compress", getLog());
        Reports.requirePassed(result.report());
    }
}
