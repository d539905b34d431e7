package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.inference.api.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway's wiring on a server that Armeria's test extension owns, as Armeria's own examples
 * test theirs: {@link GatewayServer#configureServices} is all a server needs to be the gateway.
 */
class ConfigureServicesTest {

    @RegisterExtension
    static final ServerExtension gateway = new ServerExtension() {
        @Override
        protected void configure(ServerBuilder builder) throws Exception {
            TestPlatform platform = TestPlatform.shared();
            GatewayServer.configureServices(builder, TestPlatform.gatewayConfig()
                    .stable("127.0.0.1:" + platform.stable.port()).canary("127.0.0.1:" + platform.canary.port()).build());
        }
    };

    @Test
    void restPredictIsAnsweredByTheStableTrackAtWeightZero() {
        // HttpRequest.of, not prepare(): the request builder reads ":predict" as a path parameter.
        AggregatedHttpResponse response = WebClient.of(gateway.httpUri()).execute(HttpRequest.of(HttpMethod.POST,
                "/v1/models/sentiment:predict", MediaType.JSON, "{\"instances\":[\"Lovely terrace\"]}"))
                .aggregate().join();

        assertEquals(HttpStatus.OK, response.status(), response.contentUtf8());
        assertTrue(response.contentUtf8().contains("\"label\""), response.contentUtf8());
        assertEquals("stable", response.headers().get(Headers.TRACK));
    }

    @Test
    void metricsAreServedInThePrometheusFormat() {
        AggregatedHttpResponse scrape = WebClient.of(gateway.httpUri()).get("/metrics").aggregate().join();

        assertEquals(HttpStatus.OK, scrape.status());
        assertTrue(scrape.contentUtf8().contains("# TYPE gateway_canary_weight gauge"), scrape.contentUtf8());
    }
}
