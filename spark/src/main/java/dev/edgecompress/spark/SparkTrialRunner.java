package dev.edgecompress.spark;

import dev.edgecompress.pipeline.tune.Trial;
import dev.edgecompress.pipeline.tune.TrialRunner;
import dev.edgecompress.pipeline.tune.TrialTask;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code tune}'s trials as Spark tasks, one task per trial of a round: the model and data files go
 * to the executors with {@link JavaSparkContext#addFile}, each executor compresses and validates
 * its trial as a thread here would ({@link TrialTask#run}), and the written model comes back to
 * the driver, where the search times and keeps it. The same seed gives the same trials as
 * {@link TrialRunner#local}: a trial reads only its files and its recipe.
 */
final class SparkTrialRunner implements TrialRunner {

    /** A trial and the model it wrote (null when it wrote none), as an executor sends them back. */
    record Outcome(Trial trial, byte[] model) implements Serializable {
    }

    private final JavaSparkContext spark;
    private final Set<String> shipped = new HashSet<>();

    SparkTrialRunner(JavaSparkContext spark) {
        this.spark = spark;
    }

    @Override
    public List<Trial> run(List<TrialTask> tasks, Path directory) throws IOException {
        List<TrialTask> remote = new ArrayList<>();
        for (TrialTask task : tasks) {
            for (String file : task.files()) {
                if (shipped.add(file)) {
                    spark.addFile(Path.of(file).toAbsolutePath().toString());
                }
            }
            remote.add(task.withFiles(file -> Path.of(file).getFileName().toString()));
        }
        List<Outcome> outcomes = spark.parallelize(remote, remote.size()).map(SparkTrialRunner::runOnExecutor)
                .collect();
        List<Trial> trials = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            if (outcome.model() != null) {
                Files.write(TrialRunner.file(directory, outcome.trial().number()), outcome.model());
            }
            trials.add(outcome.trial());
        }
        return trials;
    }

    /** On an executor: the task's files where Spark put them, the trial run into a scratch file. */
    private static Outcome runOnExecutor(TrialTask shippedTask) {
        TrialTask task = shippedTask.withFiles(SparkFiles::get);
        try {
            Path scratch = Files.createTempDirectory("edgecompress-trial-");
            Path out = TrialRunner.file(scratch, task.number());
            try {
                Trial trial = task.run(out);
                return new Outcome(trial, Files.exists(out) ? Files.readAllBytes(out) : null);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(scratch);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
