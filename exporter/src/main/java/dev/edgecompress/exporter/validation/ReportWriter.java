package dev.edgecompress.exporter.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.edgecompress.exporter.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a {@link ValidationReport} as report.json (snake_case keys, the contract of DESIGN.md),
 * as Markdown for people, and as JUnit XML with one test case per gate, so that CI systems show
 * gates as tests. Files are written atomically.
 */
public final class ReportWriter {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {
    }

    public static String json(ValidationReport report) {
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the report as JSON", e);
        }
    }

    public static ValidationReport readJson(String json) throws IOException {
        return JSON.readValue(json, ValidationReport.class);
    }

    public static String markdown(ValidationReport report) {
        StringBuilder md = new StringBuilder();
        md.append("# Validation: ").append(report.passed() ? "passed" : "FAILED").append("\n\n");
        md.append("| | reference | candidate |\n|---|---|---|\n");
        ModelStats r = report.reference();
        ModelStats c = report.candidate();
        row(md, "model", r.path(), c.path());
        row(md, "bytes", String.format("%,d", r.bytes()), String.format("%,d", c.bytes()));
        row(md, "gzip bytes", String.format("%,d", r.gzipBytes()), String.format("%,d", c.gzipBytes()));
        row(md, "parameters", String.format("%,d", r.parameters()), String.format("%,d", c.parameters()));
        row(md, "non-zero parameters", String.format("%,d", r.nonzeroParameters()),
                String.format("%,d", c.nonzeroParameters()));
        if (report.metrics() != null) {
            String what = report.metrics().labels() ? "top-1 accuracy" : "top-1 agreement with the reference";
            row(md, what, percent(r.accuracy()), percent(c.accuracy()));
        }
        if (report.metrics() != null) {
            OutputMetrics m = report.metrics();
            md.append("\nOn ").append(report.data()).append(String.format(
                    " (%,d samples): top-1 agreement %.2f%%, max |error| %.4g, mean |error| %.4g, SQNR %s.%n",
                    m.samples(), m.agreement() * 100, m.maxAbsError(), m.meanAbsError(),
                    m.sqnrDb() == null ? "infinite (identical outputs)" : String.format("%.1f dB", m.sqnrDb())));
        }
        if (!report.latency().isEmpty()) {
            md.append("\n| EP | batch | runs | reference p50 ms | candidate p50 ms | reference p90 ms | candidate p90 ms"
                    + " | speedup | 95% interval |\n|---|---|---|---|---|---|---|---|---|\n");
            for (LatencyRow l : report.latency()) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.4f | %.4f | %.4f | %.4f | %.2fx | %.2f-%.2fx |%n",
                        l.ep(), l.batch(), l.runs(), l.referenceMsP50(), l.candidateMsP50(), l.referenceMsP90(),
                        l.candidateMsP90(), l.speedup(), l.speedupLow(), l.speedupHigh()));
            }
        }
        report.candidateRuntimeOps().forEach((ep, ops) -> md.append("\nONNX Runtime (").append(ep)
                .append(") runs the candidate as: ").append(ops).append('\n'));
        report.warnings().forEach(w -> md.append("\n**Warning**: ").append(w).append('\n'));
        if (!report.steps().isEmpty()) {
            md.append("\n| step | params | seconds |\n|---|---|---|\n");
            report.steps().forEach(s -> md.append(String.format(Locale.ROOT, "| %s | %s | %.2f |%n", s.pass(),
                    s.params(), s.seconds())));
        }
        if (!report.gates().isEmpty()) {
            md.append("\n| gate | limit | value | result |\n|---|---|---|---|\n");
            for (GateResult g : report.gates()) {
                md.append(String.format(Locale.ROOT, "| %s | %.4g | %.4g | %s |%n", g.name(), g.limit(), g.value(),
                        g.passed() ? "pass" : "**FAIL**: " + g.message()));
            }
        }
        return md.toString();
    }

    /** JUnit XML: a suite with one test case per gate; a failed gate is a failed test. */
    public static String junit(ValidationReport report) {
        long failures = report.gates().stream().filter(g -> !g.passed()).count();
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append(String.format("<testsuite name=\"edgecompress.validation\" tests=\"%d\" failures=\"%d\""
                + " errors=\"0\" skipped=\"0\">%n", report.gates().size(), failures));
        xml.append("  <properties>\n");
        property(xml, "reference", report.reference().path());
        property(xml, "candidate", report.candidate().path());
        property(xml, "tool", report.tool());
        xml.append("  </properties>\n");
        for (GateResult g : report.gates()) {
            xml.append("  <testcase classname=\"edgecompress.gates\" name=\"").append(escape(g.name())).append('"');
            if (g.passed()) {
                xml.append("/>\n");
            } else {
                xml.append(">\n    <failure message=\"").append(escape(g.message())).append("\" type=\"gate\">")
                        .append(escape(String.format(Locale.ROOT, "limit %s, value %s", g.limit(), g.value())))
                        .append("</failure>\n  </testcase>\n");
            }
        }
        return xml.append("</testsuite>\n").toString();
    }

    public static void writeJson(ValidationReport report, Path file) throws IOException {
        write(file, json(report));
    }

    public static void writeMarkdown(ValidationReport report, Path file) throws IOException {
        write(file, markdown(report));
    }

    public static void writeJunit(ValidationReport report, Path file) throws IOException {
        write(file, junit(report));
    }

    private static void write(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void row(StringBuilder md, String label, String reference, String candidate) {
        md.append("| ").append(label).append(" | ").append(reference).append(" | ").append(candidate).append(" |\n");
    }

    private static String percent(Double fraction) {
        return fraction == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", fraction * 100);
    }

    private static void property(StringBuilder xml, String name, String value) {
        xml.append("    <property name=\"").append(name).append("\" value=\"").append(escape(value)).append("\"/>\n");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
