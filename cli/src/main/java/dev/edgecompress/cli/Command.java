package dev.edgecompress.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One subcommand of the command line. */
interface Command {

    String name();

    /** The argument synopsis after the command name, for example {@code "MODEL [--json]"}. */
    String synopsis();

    String summary();

    Options options();

    /** Runs the parsed command; returns the exit code. */
    ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception;

    /** The one MODEL argument of commands that take a single model. */
    static Path modelArgument(CommandLine line) throws UsageException {
        List<String> args = line.getArgList();
        if (args.size() != 1) {
            throw new UsageException("expects one MODEL, got " + args.size() + " arguments");
        }
        return Path.of(args.get(0));
    }
}
