package dev.inference.gateway.routing;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Asks every upstream's gRPC health service once a second. */
public final class UpstreamHealth implements AutoCloseable {

    private final List<Upstream> upstreams;
    private final Map<String, ServingStatus> statuses = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "upstream-health");
        thread.setDaemon(true);
        return thread;
    });

    public UpstreamHealth(List<Upstream> upstreams) {
        this.upstreams = upstreams;
        upstreams.forEach(upstream -> statuses.put(upstream.name(), ServingStatus.UNKNOWN));
        timer.scheduleWithFixedDelay(this::checkAll, 0, 1, TimeUnit.SECONDS);
    }

    private void checkAll() {
        for (Upstream upstream : upstreams) {
            Futures.addCallback(
                    upstream.health().withDeadlineAfter(900, TimeUnit.MILLISECONDS).check(HealthCheckRequest.getDefaultInstance()),
                    new FutureCallback<HealthCheckResponse>() {
                        @Override
                        public void onSuccess(HealthCheckResponse response) {
                            statuses.put(upstream.name(), response.getStatus());
                        }

                        @Override
                        public void onFailure(Throwable error) {
                            statuses.put(upstream.name(), ServingStatus.NOT_SERVING);
                        }
                    }, MoreExecutors.directExecutor());
        }
    }

    public boolean anyServing() {
        return statuses.containsValue(ServingStatus.SERVING);
    }

    /** Upstream name to its last known status, in upstream order. */
    public Map<String, ServingStatus> statuses() {
        Map<String, ServingStatus> ordered = new LinkedHashMap<>();
        upstreams.forEach(upstream -> ordered.put(upstream.name(), statuses.get(upstream.name())));
        return ordered;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
