package dev.inference.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.common.HttpStatus;
import dev.inference.gateway.TestPlatform;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrafficAdminTest {

    private static final String TOKEN = "s3cret-admin-token-for-tests";

    @Test
    void adminChangesTheSplit() throws Exception {
        try (TestPlatform platform = TestPlatform.start("--canary-weight", "0")) {
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
        try (TestPlatform platform = TestPlatform.start("--admin-token", TOKEN)) {
            assertEquals(401, platform.post("/admin/traffic", "{\"canaryWeight\": 50}").statusCode());
            assertEquals(401, platform.post("/admin/traffic", "{\"canaryWeight\": 50}",
                    "authorization", "Bearer wrong-token-wrong-token").statusCode());
            assertEquals(200, platform.post("/admin/traffic", "{\"canaryWeight\": 50}",
                    "authorization", "Bearer " + TOKEN).statusCode());
        }
    }

    @Test
    void withoutATokenOnlyLoopbackClientsMayChangeTraffic() throws Exception {
        AdminAccess loopbackOnly = new AdminAccess(Optional.empty());

        assertEquals(Optional.empty(), loopbackOnly.refusal(InetAddress.getByName("127.0.0.1"), null));
        assertEquals(Optional.empty(), loopbackOnly.refusal(InetAddress.getByName("::1"), null));
        // An address object only: no traffic goes anywhere.
        assertEquals(Optional.of(HttpStatus.FORBIDDEN), loopbackOnly.refusal(InetAddress.getByName("10.1.2.3"), null));
        AdminAccess withToken = new AdminAccess(Optional.of(TOKEN));
        assertEquals(Optional.empty(), withToken.refusal(InetAddress.getByName("10.1.2.3"), "Bearer " + TOKEN));
        assertEquals(Optional.of(HttpStatus.UNAUTHORIZED), withToken.refusal(InetAddress.getByName("127.0.0.1"), null));
    }

    private static String track(TestPlatform platform) throws Exception {
        return platform.get("/v1/models", "x-model-track", "auto").headers().firstValue("x-model-track").orElseThrow();
    }
}
