package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.passes.PassException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

/** Failures inside edgecompress are exit code 3 with one line saying what failed, never a stack trace. */
class InternalErrorTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** A command that fails the way a bug inside edgecompress would. */
    private record Failing(Exception failure) implements Command {
        @Override
        public String name() {
            return "fail";
        }

        @Override
        public String synopsis() {
            return "";
        }

        @Override
        public String summary() {
            return "fails";
        }

        @Override
        public Options options() {
            return new Options();
        }

        @Override
        public ExitCode run(CommandLine line, PrintStream stdout, PrintStream stderr) throws Exception {
            throw failure;
        }
    }

    private ExitCode run(Exception failure) {
        return Main.run(List.of(new Failing(failure)), new String[] {"fail"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void aBugIsExitCodeThreeWithOneLineAndAHintForTheStackTrace() {
        assertEquals(ExitCode.INTERNAL_ERROR, run(new IllegalStateException("the plan lost a node")));
        assertEquals(3, ExitCode.INTERNAL_ERROR.code());
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals("edgecompress: internal error: java.lang.IllegalStateException: the plan lost a node\n"
                + "edgecompress: set EDGECOMPRESS_DEBUG=1 for the stack trace\n", stderr);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aPassThatBreaksTheModelIsExitCodeThreeNamingThePass() {
        assertEquals(ExitCode.INTERNAL_ERROR, run(new PassException("prune-l1", List.of("normalize"),
                "it left a model that breaks the IR rules", null)));
        assertEquals("edgecompress: pass prune-l1 (after normalize) failed: it left a model that breaks the IR rules\n",
                err.toString(StandardCharsets.UTF_8));
    }
}
