package dev.inference.loadtest.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server of the platform in its own JVM, as in production: started from its jar, stopped by
 * SIGTERM (or killed by SIGKILL, for the fault tests).
 */
public final class ServerProcess implements AutoCloseable {

    /** What reports call it: its log file's name. */
    public final String name;
    public final int port;
    public final int healthPort;
    public final long startupMillis;
    private final Process process;

    private ServerProcess(String name, Process process, int port, int healthPort, long startupMillis) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.healthPort = healthPort;
        this.startupMillis = startupMillis;
    }

    /** Starts an inference server and returns once /healthz answers 200. */
    public static ServerProcess inferenceServer(Path jar, Path log, String... flags) throws Exception {
        return inferenceServer(List.of(), jar, log, flags);
    }

    /** As {@link #inferenceServer(Path, Path, String...)}, its command line after {@code launcher} (such as taskset). */
    static ServerProcess inferenceServer(List<String> launcher, Path jar, Path log, String... flags) throws Exception {
        return inferenceServer(launcher, jar, log, freePort(), freePort(), flags);
    }

    /** An inference server on given ports: a restarted server comes back where it was. */
    public static ServerProcess inferenceServer(Path jar, Path log, int port, int management, String... flags)
            throws Exception {
        return inferenceServer(List.of(), jar, log, port, management, flags);
    }

    private static ServerProcess inferenceServer(List<String> launcher, Path jar, Path log, int port, int management,
            String... flags) throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java(), "-jar", jar.toString(), "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--management-port", String.valueOf(management)));
        command.addAll(List.of(flags));
        return start(command, log, port, management, "/healthz");
    }

    /** Starts a gateway with these flags (its upstreams among them) and returns once it is healthy. */
    static ServerProcess gateway(List<String> launcher, Path jar, Path log, String... flags) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java(), "-jar", jar.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port)));
        command.addAll(List.of(flags));
        return start(command, log, port, port, "/internal/health");
    }

    private static ServerProcess start(List<String> command, Path log, int port, int healthPort, String healthPath)
            throws Exception {
        long start = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + healthPath)).build();
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60)) {
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    String name = log.getFileName().toString().replaceFirst("\\.log$", "");
                    return new ServerProcess(name, process, port, healthPort,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("exited during start-up; see " + log);
            }
            Thread.sleep(10);
        }
        process.destroyForcibly();
        throw new IllegalStateException("not healthy within 60 s; see " + log);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, then the exit code, waiting at most {@code timeout}; -1 if it did not exit. */
    public int terminate(java.time.Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGKILL: the process ends at once, with no drain. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** CPU time the process has used so far, user and system, from /proc. */
    public double cpuSeconds() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/" + process.pid() + "/stat")).split("\\) ", 2)[1].split(" ");
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name, in clock ticks.
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /**
     * Time the process's JIT compiler has spent so far, from {@code jstat -compiler} (the JVM's
     * own counters, read from outside); NaN where the JDK has no jstat.
     */
    double jitSeconds() throws IOException, InterruptedException {
        Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
        if (!Files.isExecutable(jstat)) {
            return Double.NaN;
        }
        Process query = new ProcessBuilder(jstat.toString(), "-compiler", String.valueOf(process.pid()))
                .redirectErrorStream(true).start();
        List<String> lines = new String(query.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        if (query.waitFor() != 0 || lines.size() < 2 || !lines.get(0).trim().split("\\s+")[3].equals("Time")) {
            throw new IOException("jstat -compiler said: " + lines);
        }
        // Compiled Failed Invalid Time FailedType FailedMethod
        return Double.parseDouble(lines.get(1).trim().split("\\s+")[3]);
    }

    /** CPU seconds used so far by all of {@code processes} together. */
    static double cpuSeconds(List<ServerProcess> processes) throws IOException {
        double total = 0;
        for (ServerProcess process : processes) {
            total += process.cpuSeconds();
        }
        return total;
    }

    /** Resident memory of the process, from /proc. */
    public long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

}
