package dev.inference.gateway.access;

import dev.inference.api.v1.InferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc;
import java.util.List;

/**
 * Which paths are model calls, the ones that need a credential and count against a client's rate:
 * {@code inference.v1} over gRPC, gRPC-Web and REST ({@code /v1/}), and the Open Inference
 * Protocol over gRPC and REST ({@code /v2}). Its liveness and readiness stay open, like the
 * gateway's own health, metrics, UI, docs and reflection; {@code /admin} and the model repository
 * extension ({@code /v2/repository/}) have their own rule ({@code AdminAccess}).
 */
public final class InferenceRoutes {

    private static final List<String> PREFIXES = List.of("/" + InferenceServiceGrpc.SERVICE_NAME + "/",
            "/" + GRPCInferenceServiceGrpc.SERVICE_NAME + "/", "/v1/", "/v2/", "/v2");
    /** Open, or with a rule of their own: the model repository extension is for admins ({@code AdminAccess}). */
    private static final List<String> OPEN = List.of("/v2/health/", "/v2/health", "/v2/repository/",
            "/" + GRPCInferenceServiceGrpc.SERVICE_NAME + "/ServerLive",
            "/" + GRPCInferenceServiceGrpc.SERVICE_NAME + "/ServerReady");

    private InferenceRoutes() {}

    public static boolean isModelCall(String path) {
        for (String open : OPEN) {
            if (path.equals(open) || (open.endsWith("/") && path.startsWith(open))) {
                return false;
            }
        }
        for (String prefix : PREFIXES) {
            if (prefix.endsWith("/") ? path.startsWith(prefix) : path.equals(prefix)) {
                return true;
            }
        }
        return false;
    }
}
