package dev.inference.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.common.HttpStatus;
import dev.inference.gateway.TestPlatform;
import dev.inference.gateway.access.Authenticator;
import dev.inference.gateway.metrics.GatewayMetrics;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrafficAdminTest {

    private static final String TOKEN = "s3cret-admin-token-for-tests";

    @Test
    void adminChangesTheSplit() throws Exception {
        try (TestPlatform platform = TestPlatform.start(gateway -> gateway.canaryWeight(0))) {
            for (int i = 0; i < 30; i++) {
                assertEquals("stable", track(platform));
            }

            HttpResponse<String> changed = platform.post("/admin/traffic", "{\"canaryWeight\": 100}");

            assertEquals(200, changed.statusCode(), changed.body());
            assertEquals("{\"canaryWeight\":100}", changed.body());
            for (int i = 0; i < 30; i++) {
                assertEquals("canary", track(platform));
            }
            assertTrue(platform.get("/metrics").body().contains("gateway_canary_weight 100.0"));
            assertEquals("{\"canaryWeight\":100}", platform.get("/admin/traffic").body());
        }
    }

    @Test
    void malformedOrOutOfRangeWeightIsRefused() throws Exception {
        TestPlatform platform = TestPlatform.shared();
        for (String body : new String[] {"{\"canaryWeight\": 101}", "{\"canaryWeight\": 2.5}", "{\"weight\": 5}", "nope"}) {
            HttpResponse<String> refused = platform.post("/admin/traffic", body);
            assertEquals(400, refused.statusCode(), body);
            assertTrue(refused.body().contains("\"status\":\"INVALID_ARGUMENT\""), refused.body());
        }
        assertEquals("{\"canaryWeight\":10}", platform.get("/admin/traffic").body(), "unchanged");
    }

    @Test
    void withATokenConfiguredOnlyItsBearerMayChangeTraffic() throws Exception {
        try (TestPlatform platform = TestPlatform.start(gateway -> gateway.adminToken(TOKEN))) {
            assertEquals(401, platform.post("/admin/traffic", "{\"canaryWeight\": 50}").statusCode());
            assertEquals(401, platform.post("/admin/traffic", "{\"canaryWeight\": 50}",
                    "authorization", "Bearer wrong-token-wrong-token").statusCode());
            assertEquals(200, platform.post("/admin/traffic", "{\"canaryWeight\": 50}",
                    "authorization", "Bearer " + TOKEN).statusCode());
        }
    }

    @Test
    void withoutATokenOnlyLoopbackClientsMayChangeTraffic() throws Exception {
        Authenticator noClients = Authenticator.of(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                new GatewayMetrics());
        AdminAccess loopbackOnly = new AdminAccess(Optional.empty(), noClients);

        assertEquals(Optional.empty(), status(loopbackOnly, "127.0.0.1", null));
        assertEquals(Optional.empty(), status(loopbackOnly, "::1", null));
        // An address object only: no traffic goes anywhere.
        assertEquals(Optional.of(HttpStatus.FORBIDDEN), status(loopbackOnly, "10.1.2.3", null));
        AdminAccess withToken = new AdminAccess(Optional.of(TOKEN), noClients);
        assertEquals(Optional.empty(), status(withToken, "10.1.2.3", "Bearer " + TOKEN));
        assertEquals(Optional.of(HttpStatus.UNAUTHORIZED), status(withToken, "127.0.0.1", null));
    }

    private static Optional<HttpStatus> status(AdminAccess access, String client, String authorization) throws Exception {
        return access.refusal(InetAddress.getByName(client), authorization).map(AdminAccess.Refusal::status);
    }

    private static String track(TestPlatform platform) throws Exception {
        return platform.get("/v1/models", "x-model-track", "auto").headers().firstValue("x-model-track").orElseThrow();
    }
}
