package dev.inference.rollouts;

import dev.inference.server.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/**
 * The CNCF distribution registry (Debian's docker-registry) on a free loopback port, storing in a
 * folder of the test's: a real OCI registry for images to be pushed to and pulled from by digest.
 */
final class OciRegistry implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final int port;

    private OciRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static OciRegistry start(Path dir) throws IOException, InterruptedException {
        int port = FreePorts.next();
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, String.join("\n",
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + Files.createDirectories(dir.resolve("registry-data")),
                "http:",
                "  addr: 127.0.0.1:" + port,
                ""));
        Process process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        OciRegistry registry = new OciRegistry(process, port);
        try {
            Awaitility.await("the registry answers /v2/ on port " + port).atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IOException("the registry exited " + process.exitValue());
                        }
                        return registry.status("/v2/") == 200;
                    });
        } catch (RuntimeException notServing) {
            process.destroyForcibly();
            throw new IOException(notServing.getMessage() + ": " + Files.readString(dir.resolve("registry.log")), notServing);
        }
        return registry;
    }

    /** host:port, the prefix of a reference to this registry. */
    String address() {
        return "127.0.0.1:" + port;
    }

    /** The HTTP status of a GET of the registry API's path (the API is the OCI distribution spec's). */
    int status(String path) throws InterruptedException {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + address() + path))
                            .header("accept", "application/vnd.oci.image.manifest.v1+json, "
                                    + "application/vnd.docker.distribution.manifest.v2+json")
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException notYet) {
            return -1;
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
