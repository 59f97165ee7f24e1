package dev.edgecompress.runtime.training;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.tensorflow.Session;

/**
 * The state of a training run after an epoch, in a directory: every variable of the session
 * (weights, optimizer moments, pruning masks, BatchNormalization statistics, quantization ranges)
 * through TensorFlow's saver, and the epochs done. A new checkpoint is written beside the last
 * one and then takes its place, so an interruption at any moment leaves a whole checkpoint.
 * Each run (its settings, data and starting weights: the fingerprint) keeps its checkpoints in a
 * subdirectory named by the fingerprint's hash, so runs that differ never resume from each other's.
 */
final class TrainingCheckpoint {

    private static final String LAST = "last";
    private static final String NEXT = "next";
    private static final String STATE = "state.properties";
    private static final String VARIABLES = "variables";

    /** A checkpoint read back: the epochs done (with their report lines) and the steps taken. */
    record Saved(Path directory, List<TrainableModel.Epoch> epochs, long step) {

        void restore(Session session) {
            session.restore(directory.resolve(VARIABLES).toString());
        }
    }

    private TrainingCheckpoint() {
    }

    /** The checkpoint in {@code directory} for this run, or null when there is none yet. */
    static Saved load(Path directory, String fingerprint) {
        Path run = directory.resolve(hash(fingerprint));
        for (String name : List.of(LAST, NEXT)) {
            Path state = run.resolve(name).resolve(STATE);
            if (!Files.isRegularFile(state)) {
                continue;
            }
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(state, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new CheckpointException(state + ": cannot read the checkpoint: " + e.getMessage(), e);
            }
            if (!fingerprint.equals(properties.getProperty("fingerprint"))) {
                throw new CheckpointException(run + " holds a checkpoint of another training run (a hash"
                        + " collision); remove it", null);
            }
            int done = Integer.parseInt(properties.getProperty("epochs"));
            List<TrainableModel.Epoch> epochs = new ArrayList<>();
            for (int e = 1; e <= done; e++) {
                String[] f = properties.getProperty("epoch." + e).split(",");
                epochs.add(new TrainableModel.Epoch(e, Double.parseDouble(f[0]), Double.parseDouble(f[1]),
                        Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])));
            }
            return new Saved(run.resolve(name), epochs, Long.parseLong(properties.getProperty("step")));
        }
        return null;
    }

    /** Writes the session's variables and the epochs done, then makes them the last checkpoint. */
    static void save(Path directory, String fingerprint, Session session, List<TrainableModel.Epoch> epochs,
            long step) {
        Path run = directory.resolve(hash(fingerprint));
        Path next = run.resolve(NEXT);
        Path last = run.resolve(LAST);
        try {
            deleteTree(next);
            Files.createDirectories(next);
            session.save(next.resolve(VARIABLES).toString());
            Properties properties = new Properties();
            properties.setProperty("fingerprint", fingerprint);
            properties.setProperty("epochs", String.valueOf(epochs.size()));
            properties.setProperty("step", String.valueOf(step));
            for (TrainableModel.Epoch e : epochs) {
                properties.setProperty("epoch." + e.epoch(), e.loss() + "," + e.seconds() + "," + e.samplesPerSecond()
                        + "," + e.sparsity() + "," + e.heldOutAccuracy());
            }
            // The state file last: a directory without it is an unfinished checkpoint.
            Path state = next.resolve(STATE + ".tmp");
            try (Writer writer = Files.newBufferedWriter(state, StandardCharsets.UTF_8)) {
                properties.store(writer, "edgecompress training checkpoint");
            }
            Files.move(state, next.resolve(STATE));
            deleteTree(last);
            Files.move(next, last);
        } catch (IOException e) {
            throw new CheckpointException(directory + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** The run's subdirectory name: 16 hex digits of the fingerprint's SHA-256. */
    private static String hash(String fingerprint) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(fingerprint.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
