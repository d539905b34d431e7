package dev.inference.server;

import com.google.common.util.concurrent.MoreExecutors;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A real inference server and a channel to it: over Netty on free loopback ports or in-process,
 * configured from {@link #config()}; or the server as its own process, configured by flags.
 */
public final class TestServer implements AutoCloseable {

    private static TestServer shared;

    static {
        DjlOffline.enforce();
    }

    public final InferenceServer server;
    public final ManagedChannel channel;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestServer(InferenceServer server, ManagedChannel channel) {
        this.server = server;
        this.channel = channel;
    }

    /** The defaults of every setting, on loopback with free ports: what the tests start from. */
    public static ServerConfig.Builder config() {
        return ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0);
    }

    /** Starts a server with default settings on free loopback ports. */
    public static TestServer start() throws IOException {
        return start(config());
    }

    /** Starts a server over Netty, as the command line does. */
    public static TestServer start(ServerConfig.Builder config) throws IOException {
        InferenceServer server = new InferenceServer(config.build()).start();
        return new TestServer(server, NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build());
    }

    /**
     * Starts a server on grpc-java's in-process transport: the whole server (interceptors, services,
     * batcher, models, warm-up, the management port on loopback) without a gRPC socket.
     */
    public static TestServer inProcess(ServerConfig.Builder config) throws IOException {
        String name = InProcessServerBuilder.generateName();
        InferenceServer server = new InferenceServer(config.build(), new InProcessTransport(name)).start();
        return new TestServer(server, InProcessChannelBuilder.forName(name).build());
    }

    /** grpc-java's in-process transport: answers are written by the thread that finishes the call. */
    private record InProcessTransport(String name) implements ServerTransport {

        @Override
        public ServerBuilder<?> serverBuilder() {
            return InProcessServerBuilder.forName(name);
        }

        @Override
        public ManagedChannel channelToSelf(int port) {
            return InProcessChannelBuilder.forName(name).directExecutor().build();
        }

        @Override
        public Executor replies() {
            return MoreExecutors.directExecutor();
        }

        @Override
        public void close() {}
    }

    /**
     * The server as its own process, started as the image starts it (InferenceServerMain), output
     * to {@code log}: for what only a process shows, signals and exit codes.
     */
    public static Process process(int port, int managementPort, Path log, String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), InferenceServerMain.class.getName(),
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--management-port", String.valueOf(managementPort)));
        command.addAll(List.of(flags));
        if (!command.contains("--model-repository")) {
            command.addAll(List.of("--model-repository", Path.of("target/model-repository").toAbsolutePath().toString()));
        }
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** One server with default settings, shared by the tests that do not change it; never stopped. */
    public static synchronized TestServer shared() throws IOException {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    public InferenceServiceGrpc.InferenceServiceBlockingStub blockingStub() {
        return InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public InferenceServiceGrpc.InferenceServiceFutureStub futureStub() {
        return InferenceServiceGrpc.newFutureStub(channel);
    }

    public static PredictRequest request(String version, String... texts) {
        return PredictRequest.newBuilder().setModel("sentiment").setVersion(version)
                .addAllInstances(List.of(texts)).build();
    }

    /** GETs a path of the management port. */
    public HttpResponse<String> management(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.managementPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public String scrape() throws IOException, InterruptedException {
        return management("/metrics").body();
    }

    /** The value of one sample in the scrape, or 0 when absent; {@code series} is name plus labels. */
    public double sample(String series) throws IOException, InterruptedException {
        return sample(scrape(), series);
    }

    /** The value of one sample in a scrape, or 0 when absent; {@code series} is name plus labels. */
    public static double sample(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.stop(java.time.Duration.ofSeconds(5));
    }
}
