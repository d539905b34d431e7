package dev.inference.loadtest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which CPUs the platform's processes run on and which the load generator keeps: with
 * {@code taskset} and at least two CPUs, the platform gets the last CPU and the benchmark's own
 * JVM (the client) the others, so the client's work never lands in the platform's measurement.
 * Elsewhere everything shares every CPU, and the results say so.
 */
final class Pinning {

    private final String platformCpus;
    private final String clientCpus;

    private Pinning(String platformCpus, String clientCpus) {
        this.platformCpus = platformCpus;
        this.clientCpus = clientCpus;
    }

    /** Pins this JVM (every thread it has, and so every thread it starts) to the client's CPUs. */
    static Pinning apart() throws IOException, InterruptedException {
        int cpus = Runtime.getRuntime().availableProcessors();
        if (cpus < 2 || !tasksetAvailable()) {
            return new Pinning(null, null);
        }
        Pinning pinning = new Pinning(String.valueOf(cpus - 1), cpus == 2 ? "0" : "0-" + (cpus - 2));
        Process pin = new ProcessBuilder("taskset", "--all-tasks", "--cpu-list", "--pid", pinning.clientCpus,
                String.valueOf(ProcessHandle.current().pid())).redirectErrorStream(true).start();
        String output = new String(pin.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (pin.waitFor() != 0) {
            throw new IOException("taskset could not pin the benchmark: " + output);
        }
        return pinning;
    }

    /** What goes before a platform process's command line. */
    List<String> platform() {
        return launcher(platformCpus);
    }

    /** What goes before a process that shares the client's CPUs, such as a gateway kept apart from the server. */
    List<String> client() {
        return launcher(clientCpus);
    }

    boolean pinned() {
        return platformCpus != null;
    }

    String describe() {
        return pinned() ? "platform pinned to CPU " + platformCpus + ", load generator to CPU " + clientCpus
                : "not pinned: the load generator shares every CPU with the platform";
    }

    private static List<String> launcher(String cpus) {
        return cpus == null ? List.of() : List.of("taskset", "--cpu-list", cpus);
    }

    private static boolean tasksetAvailable() {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, "taskset"))) {
                return true;
            }
        }
        return false;
    }
}
