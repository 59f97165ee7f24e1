package dev.edgecompress.exporter.validation;

import java.util.Map;

/**
 * One pass of the pipeline that made the candidate.
 *
 * @param pass the pass name
 * @param params its configuration
 * @param seconds how long it ran
 * @param changed what it changed (parameters, non-zeros, bytes, nodes)
 */
public record Step(String pass, Map<String, Object> params, double seconds, Map<String, Object> changed) {
}
