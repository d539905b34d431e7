package dev.inference.api;

import dev.inference.api.v1.InferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc;
import java.util.List;

/**
 * The names the server and the gateway report in the gRPC health service: the empty name for the
 * whole process (the startup and liveness probes ask for it) and each inference API's own service
 * (the readiness probe asks for {@code inference.v1.InferenceService}).
 */
public final class HealthServices {

    public static final List<String> NAMES =
            List.of("", InferenceServiceGrpc.SERVICE_NAME, GRPCInferenceServiceGrpc.SERVICE_NAME);

    private HealthServices() {}
}
