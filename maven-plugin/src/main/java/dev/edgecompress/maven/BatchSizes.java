package dev.edgecompress.maven;

import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;

/** The {@code batch} parameter: batch sizes to time, comma-separated. */
final class BatchSizes {

    private BatchSizes() {
    }

    static List<Integer> parse(String batch) throws MojoFailureException {
        List<Integer> sizes = new ArrayList<>();
        for (String part : batch.split(",")) {
            try {
                int size = Integer.parseInt(part.trim());
                if (size < 1) {
                    throw new NumberFormatException();
                }
                sizes.add(size);
            } catch (NumberFormatException e) {
                throw new MojoFailureException("batch: must be positive whole numbers, comma-separated, got '" + batch
                        + "'");
            }
        }
        return sizes;
    }
}
