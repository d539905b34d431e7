package dev.inference.monitoring;

import dev.inference.server.Required;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the Prometheus tools from Debian's packages, which .ci/run installs. */
final class Tools {

    static final Path MONITORING = Path.of("").toAbsolutePath();

    /** What a finished command printed and how it exited. */
    record Result(int exitCode, String output) {}

    private Tools() {}

    /**
     * Skips the calling test with a reason when the tool is not installed; fails it under
     * {@code CI=true}, where a skipped check would pass by checking nothing.
     */
    static String require(String tool) {
        Path path = Path.of("/usr/bin", tool);
        String missing = tool + " is not installed (Debian packages prometheus and prometheus-alertmanager;"
                + " .ci/run installs them)";
        Required.that(Files.isExecutable(path), missing);
        return path.toString();
    }

    static Result run(Path workingDir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Starts a long-running tool with its output in a log file. */
    static Process start(Path log, String... command) throws IOException {
        return new ProcessBuilder(List.of(command)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * The Alertmanager configuration with its file paths moved under {@code dir}, the secret files
     * written there, and PagerDuty's URL replaced.
     */
    static Path alertmanagerConfig(Path dir, String pagerDutyUrl, String slackUrl, String routingKey, String... replacements)
            throws IOException {
        Files.createDirectories(dir.resolve("secrets"));
        Files.createDirectories(dir.resolve("templates"));
        Files.writeString(dir.resolve("secrets/slack-webhook-url"), slackUrl);
        Files.writeString(dir.resolve("secrets/pagerduty-routing-key"), routingKey);
        Files.copy(MONITORING.resolve("alertmanager/templates/inference.tmpl"), dir.resolve("templates/inference.tmpl"));
        String config = Files.readString(MONITORING.resolve("alertmanager/alertmanager.yml"))
                .replace("/etc/alertmanager/", dir.toAbsolutePath() + "/")
                .replace("https://events.pagerduty.com/v2/enqueue", pagerDutyUrl);
        List<String> pairs = new ArrayList<>(List.of(replacements));
        for (int i = 0; i < pairs.size(); i += 2) {
            if (!config.contains(pairs.get(i))) {
                throw new IllegalStateException("alertmanager.yml has no " + pairs.get(i));
            }
            config = config.replace(pairs.get(i), pairs.get(i + 1));
        }
        Path file = dir.resolve("alertmanager.yml");
        Files.writeString(file, config);
        return file;
    }
}
