package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TerminalProgressTest {

    @Test
    void aTaskThatStaysFinishedIsClearedOnceNotRedrawn() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TerminalProgress progress = new TerminalProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.update("timing", 1, 100);
        for (int round = 0; round < 5000; round++) {
            progress.update("timing", 100, 100); // timing past its planned rounds
        }
        String drawn = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.startsWith("\rtiming 1/100 (0 s elapsed, 0 s left)"), drawn);
        assertEquals(2, drawn.split("\r", -1).length - 1, "one draw, one clear: " + drawn);
    }

    @Test
    void durationsReadAsPeopleSayThem() {
        assertEquals("42 s", TerminalProgress.duration(41.6));
        assertEquals("2 min 5 s", TerminalProgress.duration(125));
        assertEquals("1 h 1 min", TerminalProgress.duration(3700));
    }
}
