package dev.edgecompress.pipeline.tune;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Where a round of trials runs. Each trial's model ends up in {@code directory} as
 * {@code trial-N.onnx} (N its number) on this machine, where the search times and keeps it.
 * {@link #local} runs them on threads here; a {@link dev.edgecompress.pipeline.Cluster}'s runner
 * runs them on its executors and brings the models back.
 */
public interface TrialRunner extends AutoCloseable {

    /** Runs the tasks, at once where it can; returns their trials in the tasks' order. */
    List<Trial> run(List<TrialTask> tasks, Path directory) throws IOException;

    @Override
    default void close() {
    }

    /** The file the trial numbered {@code number} writes in {@code directory}. */
    static Path file(Path directory, int number) {
        return directory.resolve("trial-" + number + ".onnx");
    }

    /** Threads of this process: one per task of a round. */
    static TrialRunner local() {
        return (tasks, directory) -> {
            if (tasks.size() == 1) {
                return List.of(tasks.get(0).run(file(directory, tasks.get(0).number())));
            }
            ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
            try {
                List<Future<Trial>> futures = new ArrayList<>();
                for (TrialTask task : tasks) {
                    futures.add(pool.submit(() -> task.run(file(directory, task.number()))));
                }
                List<Trial> done = new ArrayList<>();
                for (Future<Trial> future : futures) {
                    done.add(future.get());
                }
                return done;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while trials ran", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        };
    }
}
