package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class GracefulDrainTest {

    @Test
    void stopFinishesInFlightCallsAndRefusesNewOnes() throws Exception {
        TestServer server = TestServer.start(TestServer.config().injectLatency(Duration.ofSeconds(1)));
        List<ListenableFuture<PredictResponse>> inFlight = new ArrayList<>();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CompletableFuture<Void> headersSent = new CompletableFuture<>();
            sent.add(headersSent);
            inFlight.add(server.futureStub().withInterceptors(new HeadersSent(headersSent))
                    .predict(TestServer.request("1", "Lovely evening " + i)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(10)));
        awaitStatus(server, 503, "NOT_SERVING while draining");
        ManagedChannel fresh = NettyChannelBuilder.forAddress("127.0.0.1", server.server.port()).usePlaintext().build();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> InferenceServiceGrpc.newBlockingStub(fresh).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .predict(TestServer.request("1", "too late")));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());

        for (ListenableFuture<PredictResponse> call : inFlight) {
            assertEquals(1, call.get(10, TimeUnit.SECONDS).getPredictionsCount());
        }
        stopping.get(15, TimeUnit.SECONDS);
        fresh.shutdownNow();
        server.channel.shutdownNow();
    }

    @Test
    void sigtermDrainsInFlightCallsAndExitsZero() throws Exception {
        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        Process process = TestServer.process(port, managementPort, Path.of("target/sigterm-drain-test.log"),
                "--inject-latency-ms", "1500");
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            awaitHealthy(managementPort);
            CompletableFuture<Void> headersSent = new CompletableFuture<>();
            ListenableFuture<PredictResponse> inFlight = InferenceServiceGrpc.newFutureStub(channel)
                    .withInterceptors(new HeadersSent(headersSent))
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .predict(TestServer.request("1", "The dessert was heavenly"));
            // Once the call's headers are on the socket the server accepts the stream even if
            // SIGTERM comes next: its graceful GOAWAY names the last stream only after a PING
            // round trip, which the client answers after what it already sent.
            headersSent.get(20, TimeUnit.SECONDS);

            process.destroy(); // SIGTERM

            assertEquals("positive", inFlight.get(20, TimeUnit.SECONDS).getPredictions(0).getLabel());
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exited after draining");
            assertEquals(0, process.exitValue());
        } finally {
            channel.shutdownNow();
            process.destroyForcibly();
        }
    }

    /**
     * A pod deleted while it loads its models: the signal waits for ONNX Runtime to finish the
     * sessions it is building, and the server stops as after a drain. Before, the JVM's own
     * handling ran exit() under the loaders' native code: SIGSEGV, exit 134.
     */
    @Test
    void sigtermWhileLoadingModelsStopsCleanlyAndExitsZero() throws Exception {
        Path log = Path.of("target/sigterm-loading-test.log");
        Process process = TestServer.process(FreePorts.next(), FreePorts.next(), log);
        try {
            // Logged once the ports are bound, just before the models load.
            Awaitility.await("the server binds its ports").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> {
                        assertTrue(process.isAlive(), "the server exited before binding its ports");
                        return Files.exists(log) && Files.readString(log).contains("gRPC on");
                    });

            process.destroy(); // SIGTERM

            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
            String output = Files.readString(log);
            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("signalled while starting"), output);
            assertTrue(output.contains("stopped"), output);
        } finally {
            process.destroyForcibly();
        }
    }

    /** Completes a future when the call's headers have been written to the connection. */
    private static final class HeadersSent implements ClientInterceptor {
        private final CompletableFuture<Void> sent;

        HeadersSent(CompletableFuture<Void> sent) {
            this.sent = sent;
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ClientStreamTracer.Factory tracer = new ClientStreamTracer.Factory() {
                @Override
                public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                    return new ClientStreamTracer() {
                        @Override
                        public void outboundHeaders() {
                            sent.complete(null);
                        }
                    };
                }
            };
            return next.newCall(method, options.withStreamTracerFactory(tracer));
        }
    }

    private static void awaitStatus(TestServer server, int status, String what) {
        Awaitility.await(what + ": /healthz answers " + status).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> server.management("/healthz").statusCode() == status);
    }

    private static void awaitHealthy(int managementPort) {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/healthz")).build();
        Awaitility.await("the server's /healthz answers 200").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> http.send(healthz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }
}
