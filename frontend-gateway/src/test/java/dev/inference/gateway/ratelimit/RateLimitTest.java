package dev.inference.gateway.ratelimit;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.server.InferenceServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One gateway counting alone: anonymous callers are limited by address, and every API says when to retry. */
class RateLimitTest {

    @Test
    void aClientOverItsLimitIsToldWhenToRetryOnEveryApiAndHealthIsNeverLimited() throws Exception {
        InferenceServer server = TestPlatform.inferenceServer();
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(server).rateLimit(0.5).rateLimitBurst(5));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
        try {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                statuses.add(TestPlatform.get(gateway, "/v1/models").statusCode());
            }
            assertEquals(List.of(200, 200, 200, 200, 200, 429, 429, 429), statuses, "the burst, then refusals");

            HttpResponse<String> rest = TestPlatform.get(gateway, "/v1/models");
            assertEquals(429, rest.statusCode());
            assertEquals("2", rest.headers().firstValue("retry-after").orElseThrow(), "a token comes back within 2 s at 0.5/s");
            assertTrue(rest.body().contains("\"status\":\"RESOURCE_EXHAUSTED\""), rest.body());
            HttpResponse<String> v2 = TestPlatform.get(gateway, "/v2/models/sentiment");
            assertEquals(429, v2.statusCode());
            assertTrue(v2.body().startsWith("{\"error\":\"rate limit of this address exceeded"), v2.body());

            StatusRuntimeException grpc = assertThrows(StatusRuntimeException.class, () -> InferenceServiceGrpc
                    .newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).listModels(ListModelsRequest.getDefaultInstance()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, grpc.getStatus().getCode());
            Metadata trailers = grpc.getTrailers();
            assertTrue(Long.parseLong(trailers.get(Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER))) > 0);
            assertEquals("2", trailers.get(Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER)));

            for (int i = 0; i < 20; i++) {
                assertEquals(200, TestPlatform.get(gateway, "/internal/health").statusCode());
                assertEquals(200, TestPlatform.get(gateway, "/v2/health/live").statusCode());
            }
            String metrics = TestPlatform.get(gateway, "/metrics").body();
            assertTrue(metrics.contains("gateway_rate_limited_total{client=\"anonymous\"}"), metrics);

            await("allowed again once a token is refilled at 0.5/s").atMost(Duration.ofSeconds(5))
                    .until(() -> TestPlatform.get(gateway, "/v1/models").statusCode(), equalTo(200));
        } finally {
            channel.shutdownNow();
            gateway.close();
            server.stop(Duration.ofSeconds(2));
        }
    }
}
