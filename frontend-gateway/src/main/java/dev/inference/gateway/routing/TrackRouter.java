package dev.inference.gateway.routing;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Chooses the upstream of a call from the user's pin and, in local mode, the canary weight. */
public interface TrackRouter {

    /**
     * Where to send one call.
     *
     * @param upstream the inference service to call
     * @param pinHeader the {@code x-model-track} value to send along, if any
     */
    record Route(Upstream upstream, Optional<String> pinHeader) {}

    /** The route for a call pinned to {@code pin}, or an unpinned one when it is empty. */
    Route route(Optional<String> pin);

    /** Where to retry, unpinned, a pinned call whose route answered UNAVAILABLE. */
    Route failover(Route failed);

    List<Upstream> upstreams();

    /** Mesh mode: one upstream; the pin travels as a header and Istio's header routes honour it. */
    static TrackRouter mesh(Upstream upstream) {
        return new TrackRouter() {
            @Override
            public Route route(Optional<String> pin) {
                return new Route(upstream, pin);
            }

            /** The mesh knows which pods are gone; without the pin it routes by weight to live ones. */
            @Override
            public Route failover(Route failed) {
                return new Route(upstream, Optional.empty());
            }

            @Override
            public List<Upstream> upstreams() {
                return List.of(upstream);
            }
        };
    }

    /** Local mode: the gateway splits unpinned calls between a stable and a canary server itself. */
    final class Local implements TrackRouter {

        public static final String STABLE = "stable";
        public static final String CANARY = "canary";

        private final Upstream stable;
        private final Upstream canary;
        private final AtomicInteger canaryWeight;

        public Local(Upstream stable, Upstream canary, int canaryWeight) {
            this.stable = stable;
            this.canary = canary;
            this.canaryWeight = new AtomicInteger(checkedWeight(canaryWeight));
        }

        @Override
        public Route route(Optional<String> pin) {
            if (pin.isPresent() && (pin.get().equals(STABLE) || pin.get().equals(CANARY))) {
                return new Route(pin.get().equals(CANARY) ? canary : stable, pin);
            }
            boolean toCanary = ThreadLocalRandom.current().nextInt(100) < canaryWeight.get();
            return new Route(toCanary ? canary : stable, Optional.empty());
        }

        /** The other server: a weighted pick could land on the one that just failed. */
        @Override
        public Route failover(Route failed) {
            return new Route(failed.upstream() == canary ? stable : canary, Optional.empty());
        }

        @Override
        public List<Upstream> upstreams() {
            return List.of(stable, canary);
        }

        public int canaryWeight() {
            return canaryWeight.get();
        }

        public void setCanaryWeight(int weight) {
            canaryWeight.set(checkedWeight(weight));
        }

        private static int checkedWeight(int weight) {
            if (weight < 0 || weight > 100) {
                throw new IllegalArgumentException("canary weight must be 0 to 100, was " + weight);
            }
            return weight;
        }
    }
}
