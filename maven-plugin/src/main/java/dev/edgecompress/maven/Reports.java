package dev.edgecompress.maven;

import dev.edgecompress.exporter.validation.GateResult;
import dev.edgecompress.exporter.validation.ReportWriter;
import dev.edgecompress.exporter.validation.ValidationReport;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;

/** Writes a report as JSON, Markdown and JUnit XML, and fails the build on a failed gate. */
final class Reports {

    private Reports() {
    }

    static void write(ValidationReport report, File directory, String name, Log log) throws MojoExecutionException {
        Path dir = directory.toPath();
        try {
            Files.createDirectories(dir);
            ReportWriter.writeJson(report, dir.resolve(name + ".json"));
            ReportWriter.writeMarkdown(report, dir.resolve(name + ".md"));
            ReportWriter.writeJunit(report, dir.resolve("TEST-" + name + ".xml"));
        } catch (IOException e) {
            throw new MojoExecutionException(dir + ": cannot write the reports: " + e.getMessage(), e);
        }
        for (GateResult gate : report.gates()) {
            log.info("gate " + (gate.passed() ? "pass " : "FAIL ") + gate.name() + ": " + gate.message());
        }
        report.warnings().forEach(log::warn);
        log.info("reports: " + dir.resolve(name + ".json"));
    }

    /** Fails the build with the failed gates' messages, one per line. */
    static void requirePassed(ValidationReport report) throws MojoFailureException {
        if (!report.passed()) {
            StringBuilder message = new StringBuilder(report.failedGates().size() + " edgecompress gate(s) failed:");
            report.failedGates().forEach(g -> message.append("\n  ").append(g.name()).append(": ")
                    .append(g.message()));
            throw new MojoFailureException(message.toString());
        }
    }
}
