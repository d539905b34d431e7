package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.InferenceServerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/configuration.md against the programs themselves: every flag {@code --help} lists is
 * documented with its environment variable and default, and the page documents no flag that does not exist.
 */
class ConfigurationDocsTest {

    private static final Path PAGE = Path.of("../docs/configuration.md");
    /** A table row: flag, environment variable, and the default when the cell starts with one in backticks. */
    private static final Pattern ROW = Pattern.compile("^\\| `(--[a-z-]+)` \\[`([A-Z_]+)`] \\| (?:`([^`]*)`)?",
            Pattern.MULTILINE);
    private static final Pattern ENV = Pattern.compile("\\[([A-Z][A-Z_]+)]");

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "server"})
    void everyFlagOfHelpIsDocumentedWithItsEnvironmentVariableAndNothingElse(String program) throws Exception {
        CommandLine command = program.equals("gateway")
                ? new CommandLine(new GatewayMain()) : new CommandLine(new InferenceServerMain());
        String prefix = program.equals("gateway") ? "GATEWAY_" : "INFERENCE_";
        Set<String> fromHelp = new TreeSet<>();
        for (OptionSpec option : command.getCommandSpec().options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Matcher env = ENV.matcher(String.join(" ", option.description()));
            assertTrue(env.find(), option.longestName() + " names no environment variable in its --help");
            // picocli resolves ${env:X:-default}; the test's environment sets none of the variables
            String fallback = option.defaultValue();
            fromHelp.add(option.longestName() + " " + env.group(1) + (fallback != null ? " " + fallback : ""));
        }
        Set<String> documented = new TreeSet<>();
        Matcher row = ROW.matcher(Files.readString(PAGE));
        while (row.find()) {
            if (row.group(2).startsWith(prefix)) {
                documented.add(row.group(1) + " " + row.group(2) + (row.group(3) != null ? " " + row.group(3) : ""));
            }
        }
        assertEquals(fromHelp, documented, "the " + program + "'s flags, variables and defaults in --help and in " + PAGE);
    }
}
