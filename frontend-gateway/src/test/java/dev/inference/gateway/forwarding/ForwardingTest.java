package dev.inference.gateway.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ForwardingTest {

    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACK = Metadata.Key.of("x-model-track", Metadata.ASCII_STRING_MARSHALLER);
    private static final PredictRequest REQUEST =
            PredictRequest.newBuilder().setModel("sentiment").addInstances("Lovely").build();
    private static final String TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /** The mesh's mirror route matches x-model-track: auto, so unpinned calls must say so. */
    @Test
    void unpinnedCallTellsTheMeshItIsUnpinned() throws Exception {
        try (RecordingUpstream upstream = new RecordingUpstream("stable", 0)) {
            GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + upstream.port()));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
            try {
                InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS).predict(REQUEST);

                assertEquals("auto", upstream.headers.get(5, TimeUnit.SECONDS).get(TRACK));
            } finally {
                channel.shutdownNow();
                gateway.close();
            }
        }
    }

    @Test
    void grpcCallCarriesItsRemainingDeadlineRequestIdTraceAndPinUpstream() throws Exception {
        try (RecordingUpstream upstream = new RecordingUpstream("canary", 0)) {
            GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + upstream.port()));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
            try {
                Metadata sent = new Metadata();
                sent.put(REQUEST_ID, "req-42");
                sent.put(TRACEPARENT, TRACE);
                sent.put(TRACK, "canary");
                PredictResponse response = InferenceServiceGrpc.newBlockingStub(channel)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent))
                        .withDeadlineAfter(3, TimeUnit.SECONDS)
                        .predict(REQUEST);

                assertEquals("7", response.getModelVersion());
                Metadata received = upstream.headers.get(5, TimeUnit.SECONDS);
                assertEquals("req-42", received.get(REQUEST_ID));
                assertEquals(TRACE, received.get(TRACEPARENT));
                assertEquals("canary", received.get(TRACK));
                long deadline = upstream.deadlineMillis.get(5, TimeUnit.SECONDS);
                assertTrue(deadline > 2000 && deadline < 3000, "remaining deadline upstream: " + deadline + " ms");
            } finally {
                channel.shutdownNow();
                gateway.close();
            }
        }
    }

    @Test
    void restCallGetsTheDefaultDeadlineAndAGeneratedRequestIdEchoedBack() throws Exception {
        try (RecordingUpstream upstream = new RecordingUpstream("stable", 0)) {
            GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + upstream.port())
                    .defaultTimeout(Duration.ofSeconds(4)));
            try {
                HttpResponse<String> response = TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\":[\"Lovely\"]}");

                assertEquals(200, response.statusCode(), response.body());
                String echoed = response.headers().firstValue("x-request-id").orElseThrow();
                assertEquals(echoed, upstream.headers.get(5, TimeUnit.SECONDS).get(REQUEST_ID));
                assertEquals(36, echoed.length(), "a generated UUID");
                long deadline = upstream.deadlineMillis.get(5, TimeUnit.SECONDS);
                assertTrue(deadline > 3000 && deadline < 4000, "remaining deadline upstream: " + deadline + " ms");
            } finally {
                gateway.close();
            }
        }
    }

    @Test
    void cancelledCallIsCancelledUpstream() throws Exception {
        try (RecordingUpstream upstream = new RecordingUpstream("stable", 5000)) {
            GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + upstream.port()));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
            try {
                var call = InferenceServiceGrpc.newFutureStub(channel).predict(REQUEST);
                upstream.headers.get(5, TimeUnit.SECONDS);
                call.cancel(true);

                assertTrue(upstream.cancelled.get(5, TimeUnit.SECONDS), "the upstream call was cancelled");
            } finally {
                channel.shutdownNow();
                gateway.close();
            }
        }
    }

    @Test
    void grpcWebClientsAreServed() throws Exception {
        TestPlatform platform = TestPlatform.shared();
        InferenceServiceGrpc.InferenceServiceBlockingStub web = GrpcClients.builder(platform.url("/"))
                .serializationFormat(GrpcSerializationFormats.PROTO_WEB)
                .build(InferenceServiceGrpc.InferenceServiceBlockingStub.class);

        PredictResponse response = web.predict(REQUEST);

        assertEquals(1, response.getPredictionsCount());
        assertEquals("positive", response.getPredictions(0).getLabel());
    }
}
