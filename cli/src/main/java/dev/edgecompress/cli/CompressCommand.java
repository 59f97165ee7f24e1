package dev.edgecompress.cli;

import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code edgecompress compress MODEL -o OUT}: imports, runs the compression pipeline, exports.
 * With no pass options it is a lossless round trip.
 */
final class CompressCommand implements Command {

    @Override
    public String name() {
        return "compress";
    }

    @Override
    public String synopsis() {
        return "MODEL -o OUT [--external-data auto|always|never] [--external-threshold BYTES]";
    }

    @Override
    public String summary() {
        return "compress a model and write it (no pass options: a lossless copy)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder("o").longOpt("output").hasArg().argName("OUT").required()
                        .desc("the model to write; its external data, if any, goes to OUT.data").get())
                .addOption(Option.builder().longOpt("external-data").hasArg().argName("MODE")
                        .desc("auto (default): keep tensors where the input had them, and move them out when the"
                                + " model would pass 2 GiB; always: every tensor over the threshold; never").get())
                .addOption(Option.builder().longOpt("external-threshold").hasArg().argName("BYTES")
                        .desc("tensors smaller than this stay inside the model file (default "
                                + ExportOptions.DEFAULT_THRESHOLD + ")").get());
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path input = Command.modelArgument(line);
        Path output = Path.of(line.getOptionValue("output"));
        ExportOptions options = exportOptions(line);

        Model model = ModelImporter.load(input);
        WrittenModel written;
        try {
            written = ModelExporter.write(model, output, options);
        } catch (IOException e) {
            throw new OutputException(output, e.getMessage(), e);
        }
        out.printf("wrote %s (%s%s)%n", output, InspectCommand.bytes(written.modelBytes()),
                written.externalBytes() > 0 ? " + " + InspectCommand.bytes(written.externalBytes()) + " external data" : "");
        return ExitCode.OK;
    }

    private static ExportOptions exportOptions(CommandLine line) throws UsageException {
        ExportOptions.ExternalData mode = ExportOptions.ExternalData.AUTO;
        if (line.hasOption("external-data")) {
            String value = line.getOptionValue("external-data");
            try {
                mode = ExportOptions.ExternalData.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--external-data must be auto, always or never, not '" + value + "'");
            }
        }
        long threshold = ExportOptions.DEFAULT_THRESHOLD;
        if (line.hasOption("external-threshold")) {
            String value = line.getOptionValue("external-threshold");
            try {
                threshold = Long.parseLong(value);
            } catch (NumberFormatException e) {
                threshold = -1;
            }
            if (threshold < 0) {
                throw new UsageException("--external-threshold must be a byte count, not '" + value + "'");
            }
        }
        return new ExportOptions(mode, threshold);
    }
}
