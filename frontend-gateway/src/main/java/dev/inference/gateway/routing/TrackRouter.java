package dev.inference.gateway.routing;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the upstream of a call from the user's pin and, in local mode, the canary weight and the
 * upstreams' health.
 */
public interface TrackRouter {

    /** The tracks, as the servers report them in {@code x-model-track}. */
    String STABLE = "stable";
    String CANARY = "canary";

    /**
     * Where to send one call.
     *
     * @param upstream the inference service to call
     * @param pinHeader the {@code x-model-track} value to send along, if any
     */
    record Route(Upstream upstream, Optional<String> pinHeader) {}

    /** The route for a call pinned to {@code pin}, or an unpinned one when it is empty. */
    Route route(Optional<String> pin);

    /**
     * Where to retry, once and unpinned, a call whose route answered UNAVAILABLE; empty where no
     * retry can help.
     */
    Optional<Route> failover(Route failed);

    /**
     * Where to send the shadow of a call that {@code answeredTrack} answered: the other track, or
     * empty when there is none to ask (local mode: it is not SERVING).
     */
    Optional<Route> otherTrack(String answeredTrack);

    List<Upstream> upstreams();

    /** Mesh mode: one upstream; the pin travels as a header and Istio's header routes honour it. */
    static TrackRouter mesh(Upstream upstream) {
        return new TrackRouter() {
            @Override
            public Route route(Optional<String> pin) {
                return new Route(upstream, pin);
            }

            /**
             * A pinned call whose track is gone goes again unpinned: the mesh routes it by weight to
             * live pods. An unpinned call is not retried here: the VirtualService's retry policy
             * already sent it to other pods, and retries at two layers would multiply.
             */
            @Override
            public Optional<Route> failover(Route failed) {
                return failed.pinHeader().isPresent() ? Optional.of(new Route(upstream, Optional.empty())) : Optional.empty();
            }

            /** The other track's pods, through the VirtualService's header route for it. */
            @Override
            public Optional<Route> otherTrack(String answeredTrack) {
                return switch (answeredTrack) {
                    case STABLE -> Optional.of(new Route(upstream, Optional.of(CANARY)));
                    case CANARY -> Optional.of(new Route(upstream, Optional.of(STABLE)));
                    default -> Optional.empty();
                };
            }

            @Override
            public List<Upstream> upstreams() {
                return List.of(upstream);
            }
        };
    }

    /**
     * Local mode: the gateway splits unpinned calls between a stable and a canary server itself,
     * among those that are SERVING. A track at weight 0 gets no unpinned call even when it is the
     * only one up (an aborted canary stays at 0), except stable, the known-good version, which takes
     * the calls when nothing with a weight is up. A pinned call whose track is down goes to the
     * other track unpinned, and the answer re-pins the user.
     */
    final class Local implements TrackRouter {

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
                Upstream pinned = pin.get().equals(CANARY) ? canary : stable;
                if (pinned.isHealthy()) {
                    return new Route(pinned, pin);
                }
                return failover(new Route(pinned, pin)).orElse(new Route(pinned, pin));
            }
            int weight = canaryWeight.get();
            boolean canaryTakes = weight > 0 && canary.isHealthy();
            boolean stableTakes = weight < 100 && stable.isHealthy();
            Upstream chosen;
            if (canaryTakes && stableTakes) {
                chosen = ThreadLocalRandom.current().nextInt(100) < weight ? canary : stable;
            } else {
                // One or none up: a call to an upstream that is down fails at once (its group is empty).
                chosen = canaryTakes ? canary : stable;
            }
            return new Route(chosen, Optional.empty());
        }

        /** The other server, if it is up and may take unpinned calls. */
        @Override
        public Optional<Route> failover(Route failed) {
            Upstream other = failed.upstream().equals(canary) ? stable : canary;
            boolean mayTake = other.equals(stable) || canaryWeight.get() > 0;
            return other.isHealthy() && mayTake ? Optional.of(new Route(other, Optional.empty())) : Optional.empty();
        }

        /** The other server whatever its weight: a canary at weight 0 is shadowed, not used. */
        @Override
        public Optional<Route> otherTrack(String answeredTrack) {
            Upstream other = switch (answeredTrack) {
                case STABLE -> canary;
                case CANARY -> stable;
                default -> null;
            };
            return other != null && other.isHealthy() ? Optional.of(new Route(other, Optional.empty())) : Optional.empty();
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
