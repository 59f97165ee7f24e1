package dev.edgecompress.cli;

import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.passes.PassException;
import dev.edgecompress.pipeline.RecipeException;
import dev.edgecompress.runtime.InferenceException;
import dev.edgecompress.runtime.ProviderUnavailableException;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.training.DeviceUnavailableException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.UnrecognizedOptionException;
import org.apache.commons.cli.help.HelpFormatter;
import org.apache.commons.cli.help.TextHelpAppendable;

/**
 * The {@code edgecompress} command line: {@code edgecompress COMMAND [options]}.
 *
 * <p>Errors are one line on stderr, {@code edgecompress: FILE: problem}, and an exit code:
 * 2 for bad usage or input, 3 for internal errors (set {@code EDGECOMPRESS_DEBUG=1} for the stack
 * trace).
 */
public final class Main {

    static final String VERSION = Main.class.getPackage().getImplementationVersion() != null
            ? Main.class.getPackage().getImplementationVersion() : "development";

    private static final List<Command> COMMANDS = List.of(new InspectCommand(), new CompressCommand(),
            new ValidateCommand(), new BenchCommand(), new TuneCommand());

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err).code());
    }

    /** Runs one command line, writing to the given streams; returns the exit code. */
    public static ExitCode run(String[] args, PrintStream out, PrintStream err) {
        return run(COMMANDS, args, out, err);
    }

    /** Runs one command line over {@code commands} (tests add commands that fail on purpose). */
    static ExitCode run(List<Command> commands, String[] given, PrintStream out, PrintStream err) {
        // --verbose, anywhere: ONNX Runtime's warnings too (the launcher lets TensorFlow's through).
        String[] args = Arrays.stream(given).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
        if (args.length < given.length) {
            System.setProperty(SessionConfig.VERBOSE_PROPERTY, "true");
        }
        if (args.length == 0) {
            printUsage(err);
            return ExitCode.BAD_INPUT;
        }
        String name = args[0];
        if (name.equals("--help") || name.equals("-h") || name.equals("help")) {
            printUsage(out);
            return ExitCode.OK;
        }
        if (name.equals("--version")) {
            out.println("edgecompress " + VERSION);
            return ExitCode.OK;
        }
        Command command = commands.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        if (command == null) {
            List<String> names = commands.stream().map(Command::name).toList();
            String meant = Suggestions.nearest(name, names);
            err.println("edgecompress: unknown command '" + name + "'" + (meant != null ? "; did you mean " + meant
                    + "?" : "; commands: " + String.join(", ", names)) + " (see edgecompress --help)");
            return ExitCode.BAD_INPUT;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            printCommandHelp(command, out);
            return ExitCode.OK;
        }
        try {
            CommandLine line = DefaultParser.builder().setAllowPartialMatching(false).get()
                    .parse(command.options(), rest);
            return command.run(line, out, err);
        } catch (UnrecognizedOptionException e) {
            String typed = e.getOption().replaceFirst("=.*", "");
            String meant = Suggestions.nearest(typed.replaceFirst("^-+", ""), command.options().getOptions().stream()
                    .map(o -> o.getLongOpt()).filter(o -> o != null).toList());
            err.println("edgecompress " + name + ": unknown option " + typed + (meant != null ? "; did you mean --"
                    + meant + "?" : "") + " (see edgecompress " + name + " --help)");
            return ExitCode.BAD_INPUT;
        } catch (ParseException | UsageException e) {
            err.println("edgecompress " + name + ": " + e.getMessage() + " (see edgecompress " + name + " --help)");
            return ExitCode.BAD_INPUT;
        } catch (UnloadableModelException e) {
            err.println("edgecompress: " + e.getMessage());
            return e.inputAtFault() ? ExitCode.BAD_INPUT : ExitCode.INTERNAL_ERROR;
        } catch (ModelFormatException | DataFormatException | OutputException | RecipeException e) {
            err.println("edgecompress: " + e.getMessage());
            return ExitCode.BAD_INPUT;
        } catch (ProviderUnavailableException e) {
            err.println("edgecompress " + name + ": --ep " + e.provider().id() + ": " + e.getMessage());
            return ExitCode.BAD_INPUT;
        } catch (DeviceUnavailableException e) {
            err.println("edgecompress " + name + ": --device gpu: " + e.getMessage());
            return ExitCode.BAD_INPUT;
        } catch (SettingException e) {
            err.println("edgecompress " + name + ": " + e.getMessage());
            return ExitCode.BAD_INPUT;
        } catch (PassException e) {
            err.println("edgecompress: " + e.getMessage());
            if (System.getenv("EDGECOMPRESS_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return ExitCode.INTERNAL_ERROR;
        } catch (InferenceException e) {
            err.println("edgecompress: ONNX Runtime: " + e.getMessage().replace('\n', ' '));
            return ExitCode.BAD_INPUT;
        } catch (Exception | OutOfMemoryError e) {
            err.println("edgecompress: internal error: " + e);
            if (System.getenv("EDGECOMPRESS_DEBUG") != null) {
                e.printStackTrace(err);
            } else {
                err.println("edgecompress: set EDGECOMPRESS_DEBUG=1 for the stack trace");
            }
            return ExitCode.INTERNAL_ERROR;
        }
    }

    private static void printUsage(PrintStream stream) {
        stream.println("usage: edgecompress COMMAND [options]");
        stream.println();
        stream.println("Compresses ONNX models for edge devices and validates them on ONNX Runtime.");
        stream.println();
        stream.println("commands:");
        for (Command command : COMMANDS) {
            stream.printf("  %-10s %s%n", command.name(), command.summary());
        }
        stream.println();
        stream.println("edgecompress COMMAND --help shows a command's options.");
        stream.println("--verbose (anywhere) shows ONNX Runtime's and TensorFlow's own log lines.");
        stream.println("exit codes: 0 success, 1 a gate failed, 2 bad usage or input, 3 internal error");
    }

    private static void printCommandHelp(Command command, PrintStream stream) {
        HelpFormatter formatter = HelpFormatter.builder().setShowSince(false)
                .setHelpAppendable(new TextHelpAppendable(stream)).get();
        try {
            Options options = command.options()
                    .addOption(Option.builder("h").longOpt("help").desc("show this help").get());
            formatter.printHelp("edgecompress " + command.name() + " " + command.synopsis(), command.summary(),
                    options, "", false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
