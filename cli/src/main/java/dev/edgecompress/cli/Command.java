package dev.edgecompress.cli;

import java.io.PrintStream;
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
}
