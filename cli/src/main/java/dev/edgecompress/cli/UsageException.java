package dev.edgecompress.cli;

/** The command line is wrong: an unknown command, a missing or malformed option. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }
}
