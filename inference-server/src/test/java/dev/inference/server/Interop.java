package dev.inference.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Clients and runtimes that are not the platform's, run by Node.js from the repository's
 * {@code interop/} folder (its npm packages installed on first use with {@code npm ci
 * --ignore-scripts}: onnxruntime-node's install script would fetch GPU binaries; its CPU build is in
 * the package). A script reads JSON on stdin and writes JSON on stdout.
 */
public final class Interop {

    /** Tests run in their module's folder, beside {@code interop/}. */
    private static final Path FOLDER = Path.of("..", "interop").toAbsolutePath().normalize();
    private static final long TIMEOUT_SECONDS = 300;
    private static boolean installed;

    private Interop() {}

    /** Runs {@code interop/<script>} with {@code input} on stdin; its stdout as JSON. */
    public static JsonElement run(String script, JsonElement input) throws IOException, InterruptedException {
        install();
        Path output = Files.createTempFile("interop-", ".json");
        Path errors = Files.createTempFile("interop-", ".log");
        try {
            Process node = new ProcessBuilder("node", script).directory(FOLDER.toFile())
                    .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
            node.getOutputStream().write(input.toString().getBytes(StandardCharsets.UTF_8));
            node.getOutputStream().close();
            finish(node, "node " + script, errors);
            return JsonParser.parseString(Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
            Files.deleteIfExists(errors);
        }
    }

    private static synchronized void install() throws IOException, InterruptedException {
        if (installed) {
            return;
        }
        Required.that(onPath("node") && onPath("npm"), "Node.js and npm are not on the PATH");
        if (!Files.exists(FOLDER.resolve("node_modules").resolve(".package-lock.json"))) {
            Path log = Files.createTempFile("npm-ci-", ".log");
            Process npm = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
                    .directory(FOLDER.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            finish(npm, "npm ci in " + FOLDER, log);
            Files.deleteIfExists(log);
        }
        installed = true;
    }

    private static void finish(Process process, String what, Path log) throws IOException, InterruptedException {
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(what + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(what + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
        }
    }

    private static boolean onPath(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        return dirs.stream().anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }
}
