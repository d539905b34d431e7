package dev.inference.gateway.ratelimit;

import static org.awaitility.Awaitility.await;

import dev.inference.server.FreePorts;
import dev.inference.server.Required;
import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Debian's redis-server on a free loopback port, without persistence; stopped and started again by tests. */
final class RedisServer implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/bin/redis-server");

    final int port;
    private Process process;

    RedisServer() throws IOException {
        Required.that(Files.isExecutable(BINARY), "Debian's redis-server is not installed (.ci/run installs it)");
        port = FreePorts.next();
        start();
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    void start() throws IOException {
        process = new ProcessBuilder(BINARY.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("target/redis-" + port + ".log")))
                .start();
        await("redis-server answering PING on " + port).atMost(Duration.ofSeconds(10)).until(this::answers);
    }

    /** SIGKILL, as a crashed or evicted Redis goes: no goodbye to its clients. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGSTOP: a Redis that holds its connections open and answers nothing, as a hung one does. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }

    private boolean answers() {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] reply = new byte[7];
            return socket.getInputStream().read(reply) > 0 && new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
