package dev.inference.platform;

import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Range checks that picocli's types cannot express, reported as picocli reports a bad flag. */
public final class UsageErrors {

    private UsageErrors() {}

    /**
     * Runs {@code check} and returns what it makes, such as a configuration from flags; an {@link
     * IllegalArgumentException} from it becomes a usage error: picocli prints the message and the
     * usage, and the command exits 2.
     */
    public static <T> T check(CommandSpec spec, Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
