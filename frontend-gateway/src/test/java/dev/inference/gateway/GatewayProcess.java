package dev.inference.gateway;

import static org.awaitility.Awaitility.await;

import dev.inference.server.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The gateway as a process of its own ({@link GatewayMain}), on a free loopback port, its output in a log file. */
public final class GatewayProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public final int port;
    public final Path log;
    public final Process process;

    private GatewayProcess(int port, Path log, Process process) {
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code GatewayMain} with the flags (the host and port are added) and waits until it serves. */
    public static GatewayProcess start(String logName, String... flags) throws IOException {
        int port = FreePorts.next();
        Path log = Path.of("target", logName);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), GatewayMain.class.getName(),
                "--host", "127.0.0.1", "--port", String.valueOf(port)));
        command.addAll(List.of(flags));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        GatewayProcess gateway = new GatewayProcess(port, log, process);
        await("the gateway process listening on " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(gateway::listening);
        return gateway;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    private boolean listening() {
        if (!process.isAlive()) {
            throw new AssertionError("the gateway process ended; see " + log);
        }
        try {
            HTTP.send(HttpRequest.newBuilder(URI.create(url("/internal/health"))).build(), HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException notYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

}
