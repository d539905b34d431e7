package dev.inference.gateway;

import static dev.inference.platform.SettingChecks.nonBlank;
import static dev.inference.platform.SettingChecks.portNumber;
import static dev.inference.platform.SettingChecks.require;

import dev.inference.gateway.ratelimit.Limit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Every setting of the gateway, as an immutable value. The {@link Builder} checks each setting
 * where it is set, and {@link Builder#build()} the ones that go together; messages name the flag,
 * the setting's one name everywhere. {@link GatewayFlags} fills a builder from the command line and
 * the environment; code and tests fill it directly.
 *
 * <p>Mesh mode ({@code upstream}) sends everything to one address and lets Istio split traffic;
 * local mode ({@code stable} and {@code canary}) splits by weight itself.
 */
public final class GatewayConfig {

    // The defaults, once: the builder starts from them and the flags' --help and docs show them.
    static final String DEFAULT_HOST = "0.0.0.0";
    static final int DEFAULT_PORT = 8080;
    static final int DEFAULT_MANAGEMENT_PORT = 0;
    static final int DEFAULT_CANARY_WEIGHT = 0;
    static final int DEFAULT_SHADOW_PERCENT = 0;
    static final double DEFAULT_SHADOW_MIN_COSINE = 0.95;
    static final int DEFAULT_SHADOW_MAX_IN_FLIGHT = 64;
    static final long DEFAULT_PIN_TTL_SECONDS = 3600;
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    static final long DEFAULT_DEADLINE_MARGIN_MS = 20;
    static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
    static final int DEFAULT_RATE_LIMIT = 0;
    static final long DEFAULT_RATE_LIMIT_BURST = 0;
    static final int DEFAULT_RATE_LIMIT_REPLICAS = 2;

    private final Builder settings;

    private GatewayConfig(Builder builder) {
        this.settings = builder.copy();
    }

    /** Every setting at its default; a routing mode must still be chosen. */
    public static Builder builder() {
        return new Builder();
    }

    public String host() {
        return settings.host;
    }

    public int port() {
        return settings.port;
    }

    /** 0: no management port. */
    public int managementPort() {
        return settings.managementPort;
    }

    public boolean localMode() {
        return settings.upstream == null;
    }

    /** Mesh mode's inference service, host:port. */
    public Optional<String> upstream() {
        return Optional.ofNullable(settings.upstream);
    }

    /** Local mode's stable server, host:port. */
    public Optional<String> stable() {
        return Optional.ofNullable(settings.stable);
    }

    /** Local mode's canary server, host:port. */
    public Optional<String> canary() {
        return Optional.ofNullable(settings.canary);
    }

    public int canaryWeight() {
        return settings.canaryWeight;
    }

    public double shadowPercent() {
        return settings.shadowPercent;
    }

    public double shadowMinCosine() {
        return settings.shadowMinCosine;
    }

    public int shadowMaxInFlight() {
        return settings.shadowMaxInFlight;
    }

    public Duration pinTtl() {
        return settings.pinTtl;
    }

    /** The deadline of calls that bring none. */
    public Duration defaultTimeout() {
        return settings.defaultTimeout;
    }

    public Duration deadlineMargin() {
        return settings.deadlineMargin;
    }

    public int maxRequestBytes() {
        return settings.maxRequestBytes;
    }

    public Optional<String> adminToken() {
        return Optional.ofNullable(settings.adminToken);
    }

    public Optional<String> jwks() {
        return Optional.ofNullable(settings.jwks);
    }

    public Optional<String> jwtIssuer() {
        return Optional.ofNullable(settings.jwtIssuer);
    }

    public Optional<String> jwtAudience() {
        return Optional.ofNullable(settings.jwtAudience);
    }

    public Optional<Path> apiKeysFile() {
        return Optional.ofNullable(settings.apiKeysFile);
    }

    /** The per-client limit, if there is one; the burst defaults to one second's worth. */
    public Optional<Limit> rateLimit() {
        double rate = settings.rateLimit;
        long burst = settings.rateLimitBurst;
        return rate > 0 ? Optional.of(new Limit(rate, burst > 0 ? burst : Math.max(1, (long) Math.ceil(rate)))) : Optional.empty();
    }

    public Optional<String> redis() {
        return Optional.ofNullable(settings.redis);
    }

    public int rateLimitReplicas() {
        return settings.rateLimitReplicas;
    }

    /**
     * Fills a {@link GatewayConfig}; every setter throws {@link IllegalArgumentException} for a value
     * out of range, naming the flag.
     */
    public static final class Builder implements Cloneable {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int managementPort = DEFAULT_MANAGEMENT_PORT;
        private String upstream;
        private String stable;
        private String canary;
        private int canaryWeight = DEFAULT_CANARY_WEIGHT;
        private double shadowPercent = DEFAULT_SHADOW_PERCENT;
        private double shadowMinCosine = DEFAULT_SHADOW_MIN_COSINE;
        private int shadowMaxInFlight = DEFAULT_SHADOW_MAX_IN_FLIGHT;
        private Duration pinTtl = Duration.ofSeconds(DEFAULT_PIN_TTL_SECONDS);
        private Duration defaultTimeout = Duration.ofMillis(DEFAULT_TIMEOUT_MS);
        private Duration deadlineMargin = Duration.ofMillis(DEFAULT_DEADLINE_MARGIN_MS);
        private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private String adminToken;
        private String jwks;
        private String jwtIssuer;
        private String jwtAudience;
        private Path apiKeysFile;
        private double rateLimit = DEFAULT_RATE_LIMIT;
        private long rateLimitBurst = DEFAULT_RATE_LIMIT_BURST;
        private String redis;
        private int rateLimitReplicas = DEFAULT_RATE_LIMIT_REPLICAS;

        private Builder() {}

        /** {@code --host}: the address to bind. */
        public Builder host(String host) {
            this.host = nonBlank("--host", host);
            return this;
        }

        /** {@code --port}: UI, REST, gRPC and metrics; 0 picks a free one. */
        public Builder port(int port) {
            this.port = portNumber("--port", port);
            return this;
        }

        /** {@code --management-port}: only metrics and health, outside the sidecar; 0 opens none. */
        public Builder managementPort(int port) {
            this.managementPort = portNumber("--management-port", port);
            return this;
        }

        /** {@code --upstream}: mesh mode, the inference service's host:port. */
        public Builder upstream(String address) {
            this.upstream = address(address, "--upstream");
            return this;
        }

        /** {@code --stable}: local mode, the stable server's host:port. */
        public Builder stable(String address) {
            this.stable = address(address, "--stable");
            return this;
        }

        /** {@code --canary}: local mode, the canary server's host:port. */
        public Builder canary(String address) {
            this.canary = address(address, "--canary");
            return this;
        }

        /** {@code --canary-weight}: local mode, percent of unpinned calls sent to the canary. */
        public Builder canaryWeight(int percent) {
            require(percent >= 0 && percent <= 100, "--canary-weight must be 0 to 100, was " + percent);
            this.canaryWeight = percent;
            return this;
        }

        /** {@code --shadow-percent}: percent of unpinned model calls also sent to the other track. */
        public Builder shadowPercent(double percent) {
            require(percent >= 0 && percent <= 100, "--shadow-percent must be 0 to 100, was " + percent);
            this.shadowPercent = percent;
            return this;
        }

        /** {@code --shadow-min-cosine}: the least cosine at which shadowed embeddings agree. */
        public Builder shadowMinCosine(double cosine) {
            require(cosine > -1 && cosine <= 1, "--shadow-min-cosine must be above -1 and at most 1, was " + cosine);
            this.shadowMinCosine = cosine;
            return this;
        }

        /** {@code --shadow-max-in-flight}: the most shadow calls under way at once. */
        public Builder shadowMaxInFlight(int most) {
            require(most >= 1, "--shadow-max-in-flight must be at least 1, was " + most);
            this.shadowMaxInFlight = most;
            return this;
        }

        /** {@code --pin-ttl-seconds}: the model-track cookie's lifetime. */
        public Builder pinTtl(Duration ttl) {
            require(ttl.toSeconds() > 0, "--pin-ttl-seconds must be positive, was " + ttl.toSeconds());
            this.pinTtl = ttl;
            return this;
        }

        /** {@code --default-timeout-ms}: the deadline of calls that bring none. */
        public Builder defaultTimeout(Duration timeout) {
            require(timeout.toMillis() > 0, "--default-timeout-ms must be positive, was " + timeout.toMillis());
            this.defaultTimeout = timeout;
            return this;
        }

        /** {@code --deadline-margin-ms}: subtracted from the remaining deadline before forwarding. */
        public Builder deadlineMargin(Duration margin) {
            require(!margin.isNegative(), "--deadline-margin-ms must not be negative, was " + margin.toMillis());
            this.deadlineMargin = margin;
            return this;
        }

        /** {@code --max-request-bytes}: the largest request body. */
        public Builder maxRequestBytes(int most) {
            require(most >= 1024, "--max-request-bytes must be at least 1024, was " + most);
            this.maxRequestBytes = most;
            return this;
        }

        /** {@code --admin-token}: the bearer token for {@code /admin}. */
        public Builder adminToken(String token) {
            require(token != null && token.length() >= 16, "--admin-token must have at least 16 characters");
            this.adminToken = token;
            return this;
        }

        /** {@code --jwks}, {@code --jwt-issuer} and {@code --jwt-audience}: the JWTs accepted. */
        public Builder jwt(String jwks, String issuer, String audience) {
            require(jwks != null, "--jwt-issuer and --jwt-audience are for --jwks");
            require(issuer != null && audience != null, "--jwks needs --jwt-issuer and --jwt-audience");
            this.jwks = jwks;
            this.jwtIssuer = issuer;
            this.jwtAudience = audience;
            return this;
        }

        /** {@code --api-keys-file}: one client a line, with the SHA-256 of its key. */
        public Builder apiKeysFile(Path file) {
            this.apiKeysFile = Objects.requireNonNull(file, "--api-keys-file");
            return this;
        }

        /** {@code --rate-limit}: model calls a second per client; 0 for no limit. */
        public Builder rateLimit(double perSecond) {
            require(perSecond >= 0 && !Double.isInfinite(perSecond),
                    "--rate-limit must be 0 (none) or a positive number, was " + perSecond);
            this.rateLimit = perSecond;
            return this;
        }

        /** {@code --rate-limit-burst}: calls a client may make at once; 0 for one second's worth. */
        public Builder rateLimitBurst(long calls) {
            require(calls >= 0, "--rate-limit-burst must not be negative, was " + calls);
            this.rateLimitBurst = calls;
            return this;
        }

        /** {@code --redis}: where every replica keeps the buckets. */
        public Builder redis(String uri) {
            require(uri != null && (uri.startsWith("redis://") || uri.startsWith("rediss://")),
                    "--redis must be a redis:// or rediss:// URI, was " + uri);
            this.redis = uri;
            return this;
        }

        /** {@code --rate-limit-replicas}: while Redis is unreachable each gateway allows this fraction of the limit. */
        public Builder rateLimitReplicas(int replicas) {
            require(replicas >= 1, "--rate-limit-replicas must be at least 1, was " + replicas);
            this.rateLimitReplicas = replicas;
            return this;
        }

        /** @throws IllegalArgumentException for settings that contradict each other, or no routing mode */
        public GatewayConfig build() {
            boolean mesh = upstream != null;
            boolean local = stable != null || canary != null;
            require(mesh != local, "give either --upstream (mesh mode) or --stable and --canary (local mode)");
            require(!local || (stable != null && canary != null), "local mode needs both --stable and --canary");
            require(redis == null || rateLimit > 0, "--redis keeps rate limits, so it needs --rate-limit");
            return new GatewayConfig(this);
        }

        private Builder copy() {
            try {
                return (Builder) clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        private static String address(String address, String flag) {
            return nonBlank(flag, address);
        }
    }
}
