package dev.inference.gateway.admin;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.metrics.TrafficWindow;
import dev.inference.gateway.routing.TrackRouter;
import dev.inference.gateway.routing.Upstream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code /internal/health} and {@code /internal/stats}: what the probes and the UI read. */
public final class StatusEndpoints {

    private static final int STEP_SECONDS = 5;
    private static final int NOW_SECONDS = 10;
    private static final int AGREEMENT_SECONDS = 60;

    private StatusEndpoints() {}

    /**
     * 200 while at least one upstream is SERVING, else 503; the body lists every upstream. In mesh
     * mode "SERVING" means the Service answers health checks at all: Istio judges its pods one by one.
     */
    public static HttpService health(List<Upstream> upstreams) {
        return (ctx, req) -> {
            JsonObject statuses = new JsonObject();
            upstreams.forEach(upstream -> statuses.addProperty(upstream.name(), upstream.isHealthy() ? "SERVING" : "NOT_SERVING"));
            boolean anyServing = upstreams.stream().anyMatch(Upstream::isHealthy);
            JsonObject body = new JsonObject();
            body.addProperty("status", anyServing ? "SERVING" : "NOT_SERVING");
            body.add("upstreams", statuses);
            return JsonResponses.of(anyServing ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, body);
        };
    }

    /**
     * Requests/s, p95 latency and error rate per track: now (last 10 s) and over the last 5 minutes;
     * the shadow comparison's agreement over the last minute.
     */
    public static HttpService stats(GatewayMetrics metrics, Optional<TrackRouter.Local> local, double shadowPercent) {
        TrafficWindow window = metrics.window();
        return (ctx, req) -> {
            JsonObject body = new JsonObject();
            body.addProperty("mode", local.isPresent() ? "local" : "mesh");
            local.ifPresent(router -> body.addProperty("canaryWeight", router.canaryWeight()));
            JsonObject shadow = new JsonObject();
            shadow.addProperty("percent", shadowPercent);
            metrics.agreement().summary(AGREEMENT_SECONDS).ifPresent(summary -> {
                shadow.addProperty("canaryRevision", summary.canaryRevision());
                shadow.addProperty("compared", summary.compared());
                shadow.addProperty("agreement", Math.round(summary.agreement() * 10000) / 10000.0);
            });
            body.add("shadow", shadow);
            body.addProperty("stepSeconds", STEP_SECONDS);
            JsonObject tracks = new JsonObject();
            for (Map.Entry<String, List<TrafficWindow.Point>> entry : window.series(STEP_SECONDS).entrySet()) {
                JsonObject track = new JsonObject();
                track.add("now", json(window.summary(entry.getKey(), NOW_SECONDS)));
                JsonArray series = new JsonArray();
                entry.getValue().forEach(point -> series.add(json(point)));
                track.add("series", series);
                tracks.add(entry.getKey(), track);
            }
            body.add("tracks", tracks);
            return JsonResponses.ok(body);
        };
    }

    private static JsonObject json(TrafficWindow.Point point) {
        JsonObject json = new JsonObject();
        json.addProperty("t", point.epochSecond());
        json.addProperty("rps", Math.round(point.requestsPerSecond() * 100) / 100.0);
        json.addProperty("p95Ms", point.p95Millis());
        json.addProperty("errorRate", Math.round(point.errorRate() * 10000) / 10000.0);
        return json;
    }
}
