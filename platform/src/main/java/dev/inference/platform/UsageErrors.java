package dev.inference.platform;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Range checks that picocli's types cannot express, reported as picocli reports a bad flag. */
public final class UsageErrors {

    private UsageErrors() {}

    /**
     * Runs {@code check}; an {@link IllegalArgumentException} from it becomes a usage error: picocli
     * prints the message and the usage, and the command exits 2.
     */
    public static void check(CommandSpec spec, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
