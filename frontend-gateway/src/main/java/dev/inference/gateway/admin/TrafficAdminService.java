package dev.inference.gateway.admin;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.routing.TrackRouter;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /admin/traffic} shows the canary weight; {@code POST /admin/traffic} with
 * {@code {"canaryWeight": 25}} changes it (local mode only: in a mesh, Argo Rollouts owns the split).
 */
public final class TrafficAdminService implements HttpService {

    private static final Logger log = LoggerFactory.getLogger(TrafficAdminService.class);

    private final Optional<TrackRouter.Local> local;
    private final AdminAccess access;

    public TrafficAdminService(Optional<TrackRouter.Local> local, AdminAccess access) {
        this.local = local;
        this.access = access;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        return HttpResponse.of(access.refusal(ctx).thenApplyAsync(refused -> refused
                .map(refusal -> JsonResponses.error(refusal.status(), refusal.message()))
                .orElseGet(() -> permitted(ctx, req)), ctx.eventLoop()));
    }

    private HttpResponse permitted(ServiceRequestContext ctx, HttpRequest req) {
        if (local.isEmpty()) {
            return JsonResponses.error(HttpStatus.CONFLICT, "the gateway runs in mesh mode: Istio and Argo Rollouts"
                    + " set the traffic split there");
        }
        if (req.method() == HttpMethod.GET) {
            return JsonResponses.ok(state());
        }
        if (req.method() != HttpMethod.POST) {
            return JsonResponses.error(HttpStatus.METHOD_NOT_ALLOWED, "use GET or POST");
        }
        return HttpResponse.of(req.aggregate().thenApply(body -> {
            Integer weight = parseWeight(body.contentUtf8());
            if (weight == null) {
                return JsonResponses.error(HttpStatus.BAD_REQUEST,
                        "expected {\"canaryWeight\": N} with N a whole number from 0 to 100");
            }
            int previous = local.get().canaryWeight();
            local.get().setCanaryWeight(weight);
            log.info("canary weight {} -> {} (by {})", previous, weight, ctx.clientAddress().getHostAddress());
            return JsonResponses.ok(state());
        }));
    }

    private JsonObject state() {
        JsonObject state = new JsonObject();
        state.addProperty("canaryWeight", local.orElseThrow().canaryWeight());
        return state;
    }

    private static Integer parseWeight(String body) {
        try {
            JsonElement weight = JsonParser.parseString(body).getAsJsonObject().get("canaryWeight");
            if (weight == null || !weight.isJsonPrimitive() || !weight.getAsJsonPrimitive().isNumber()) {
                return null;
            }
            double value = weight.getAsDouble();
            return value == Math.rint(value) && value >= 0 && value <= 100 ? (int) value : null;
        } catch (RuntimeException malformed) {
            return null;
        }
    }
}
