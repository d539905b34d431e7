package dev.inference.gateway.routing;

import com.linecorp.armeria.client.grpc.GrpcClients;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.InferenceServiceGrpc.InferenceServiceFutureStub;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.health.v1.HealthGrpc.HealthFutureStub;

/**
 * One inference service the gateway forwards to: a local server of a known track, or the mesh
 * service whose track only the responses tell.
 *
 * @param name the track in local mode ({@code stable}, {@code canary}); {@code mesh} in mesh mode
 */
public record Upstream(String name, String address, InferenceServiceFutureStub inference, HealthFutureStub health) {

    public static final String MESH = "mesh";

    /** A client for {@code host:port}, speaking gRPC over HTTP/2 without TLS (the mesh adds mTLS). */
    public static Upstream connect(String name, String address) {
        String uri = "h2c://" + address + "/";
        return new Upstream(name, address,
                GrpcClients.newClient(uri, InferenceServiceGrpc.InferenceServiceFutureStub.class),
                GrpcClients.newClient(uri, HealthGrpc.HealthFutureStub.class));
    }
}
