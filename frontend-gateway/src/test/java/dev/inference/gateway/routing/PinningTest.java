package dev.inference.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.TestPlatform;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PinningTest {

    private static final String BODY = "{\"instances\":[\"Lovely\"]}";
    private static final String PREDICT = "/v1/models/sentiment:predict";

    @Test
    void firstResponseSetsTheCookieAndLaterCallsStayOnThatTrack() throws Exception {
        TestPlatform platform = TestPlatform.shared();
        HttpResponse<String> first = platform.post(PREDICT, BODY);
        String track = first.headers().firstValue("x-model-track").orElseThrow();
        String setCookie = first.headers().firstValue("set-cookie").orElseThrow();

        assertTrue(setCookie.startsWith("model-track=" + track + ";"), setCookie);
        assertTrue(setCookie.contains("HTTPOnly") || setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Lax"), setCookie);
        assertTrue(setCookie.contains("Max-Age=3600"), setCookie);
        String expectedVersion = track.equals("canary") ? "2" : "1";
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> later = platform.post(PREDICT, BODY, "cookie", "model-track=" + track);
            assertEquals(track, later.headers().firstValue("x-model-track").orElseThrow(), "call " + i);
            assertEquals(expectedVersion, later.headers().firstValue("x-model-version").orElseThrow());
            assertFalse(later.headers().firstValue("set-cookie").isPresent(), "the pin is already right");
        }
    }

    @Test
    void clientMayForceATrackWithTheHeaderWithoutChangingItsCookie() throws Exception {
        TestPlatform platform = TestPlatform.shared();
        for (String track : List.of("canary", "stable", "canary")) {
            HttpResponse<String> response = platform.post(PREDICT, BODY, "x-model-track", track, "cookie", "model-track=stable");
            assertEquals(track, response.headers().firstValue("x-model-track").orElseThrow());
            assertFalse(response.headers().firstValue("set-cookie").isPresent());
        }
    }

    @Test
    void unpinnedTrafficSplitsByTheWeightWithinAStatisticalBound() throws Exception {
        try (TestPlatform platform = TestPlatform.start(gateway -> gateway.canaryWeight(20))) {
            int calls = 2000;
            int canary = 0;
            for (int i = 0; i < calls; i++) {
                HttpResponse<String> response = platform.get("/v1/models", "x-model-track", "auto");
                canary += response.headers().firstValue("x-model-track").orElseThrow().equals("canary") ? 1 : 0;
            }
            // Binomial(2000, 0.2): mean 400, standard deviation 17.9; five deviations either side
            // fail a correct split about once in 1.7 million runs.
            double sigma = Math.sqrt(calls * 0.2 * 0.8);
            assertTrue(Math.abs(canary - calls * 0.2) < 5 * sigma, "canary calls: " + canary + " of " + calls);
        }
    }

    @Test
    void pinnedCanaryThatIsDownFailsOverToStableAndTheCookieFollows() throws Exception {
        try (TestPlatform platform = TestPlatform.start()) {
            platform.canary.stop(Duration.ofSeconds(1));

            // The retry goes to the other server, not back into the weighted split, so every one lands.
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = platform.post(PREDICT, BODY, "cookie", "model-track=canary");

                assertEquals(200, response.statusCode(), response.body());
                assertEquals("stable", response.headers().firstValue("x-model-track").orElseThrow());
                assertTrue(response.headers().firstValue("set-cookie").orElseThrow().startsWith("model-track=stable;"));
            }
        }
    }
}
