package dev.inference.gateway;

import dev.inference.gateway.ratelimit.Limit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Every setting of the gateway. Each flag may also come from the environment variable named in
 * its description; a flag on the command line wins.
 *
 * <p>Mesh mode ({@code --upstream}) sends everything to one address and lets Istio split traffic;
 * local mode ({@code --stable} and {@code --canary}) splits by weight itself.
 */
public final class GatewayConfig {

    @Option(names = "--host", defaultValue = "${env:GATEWAY_HOST:-0.0.0.0}",
            description = "Address to bind [GATEWAY_HOST] (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:GATEWAY_PORT:-8080}",
            description = "Port for UI, REST, gRPC, metrics; 0 picks a free one [GATEWAY_PORT] (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--management-port", defaultValue = "${env:GATEWAY_MANAGEMENT_PORT:-0}",
            description = "A second port with only /metrics, /internal/health and gRPC health, for Prometheus and"
                    + " probes outside the sidecar; 0 opens none [GATEWAY_MANAGEMENT_PORT] (default: ${DEFAULT-VALUE}).")
    int managementPort;

    @Option(names = "--upstream", defaultValue = "${env:GATEWAY_UPSTREAM}",
            description = "Mesh mode: the inference service's host:port [GATEWAY_UPSTREAM].")
    String upstream;

    @Option(names = "--stable", defaultValue = "${env:GATEWAY_STABLE}",
            description = "Local mode: host:port of the stable inference server [GATEWAY_STABLE].")
    String stable;

    @Option(names = "--canary", defaultValue = "${env:GATEWAY_CANARY}",
            description = "Local mode: host:port of the canary inference server [GATEWAY_CANARY].")
    String canary;

    @Option(names = "--canary-weight", defaultValue = "${env:GATEWAY_CANARY_WEIGHT:-0}",
            description = "Local mode: percent of unpinned requests sent to the canary [GATEWAY_CANARY_WEIGHT].")
    int canaryWeight;

    @Option(names = "--shadow-percent", defaultValue = "${env:GATEWAY_SHADOW_PERCENT:-0}",
            description = "Percent of unpinned model calls also sent, once answered, to the other track, whose answers"
                    + " are compared with the client's [GATEWAY_SHADOW_PERCENT] (default: ${DEFAULT-VALUE}).")
    double shadowPercent;

    @Option(names = "--shadow-min-cosine", defaultValue = "${env:GATEWAY_SHADOW_MIN_COSINE:-0.95}",
            description = "The least cosine at which a shadowed embedding agrees with the answer's for the same text"
                    + " [GATEWAY_SHADOW_MIN_COSINE] (default: ${DEFAULT-VALUE}).")
    double shadowMinCosine;

    @Option(names = "--shadow-max-in-flight", defaultValue = "${env:GATEWAY_SHADOW_MAX_IN_FLIGHT:-64}",
            description = "Most shadow calls under way at once; more are skipped, never queued"
                    + " [GATEWAY_SHADOW_MAX_IN_FLIGHT] (default: ${DEFAULT-VALUE}).")
    int shadowMaxInFlight;

    @Option(names = "--pin-ttl-seconds", defaultValue = "${env:GATEWAY_PIN_TTL_SECONDS:-3600}",
            description = "Lifetime of the model-track cookie [GATEWAY_PIN_TTL_SECONDS] (default: ${DEFAULT-VALUE}).")
    long pinTtlSeconds;

    @Option(names = "--default-timeout-ms", defaultValue = "${env:GATEWAY_DEFAULT_TIMEOUT_MS:-10000}",
            description = "Deadline of calls that bring none (REST without grpc-timeout)"
                    + " [GATEWAY_DEFAULT_TIMEOUT_MS] (default: ${DEFAULT-VALUE}).")
    long defaultTimeoutMillis;

    @Option(names = "--deadline-margin-ms", defaultValue = "${env:GATEWAY_DEADLINE_MARGIN_MS:-20}",
            description = "Subtracted from the remaining deadline before forwarding, for the way back"
                    + " [GATEWAY_DEADLINE_MARGIN_MS] (default: ${DEFAULT-VALUE}).")
    long deadlineMarginMillis;

    @Option(names = "--max-request-bytes", defaultValue = "${env:GATEWAY_MAX_REQUEST_BYTES:-1048576}",
            description = "Largest request body; larger is 413 [GATEWAY_MAX_REQUEST_BYTES] (default: ${DEFAULT-VALUE}).")
    int maxRequestBytes;

    @Option(names = "--admin-token", defaultValue = "${env:GATEWAY_ADMIN_TOKEN}",
            description = "Bearer token for /admin; without one, /admin answers loopback clients only"
                    + " [GATEWAY_ADMIN_TOKEN].")
    String adminToken;

    @Option(names = "--jwks", defaultValue = "${env:GATEWAY_JWKS}",
            description = "JWKS of the keys that sign accepted JWTs (RS256, ES256): an https:// URL, fetched, cached and"
                    + " refetched for an unknown key id, or a file; needs --jwt-issuer and --jwt-audience [GATEWAY_JWKS].")
    String jwks;

    @Option(names = "--jwt-issuer", defaultValue = "${env:GATEWAY_JWT_ISSUER}",
            description = "The 'iss' an accepted JWT must have [GATEWAY_JWT_ISSUER].")
    String jwtIssuer;

    @Option(names = "--jwt-audience", defaultValue = "${env:GATEWAY_JWT_AUDIENCE}",
            description = "An 'aud' an accepted JWT must have [GATEWAY_JWT_AUDIENCE].")
    String jwtAudience;

    @Option(names = "--api-keys-file", defaultValue = "${env:GATEWAY_API_KEYS_FILE}",
            description = "API keys, one client a line: '<client-id> <sha256 hex of the key> [models=a,b] [admin]';"
                    + " re-read when it changes [GATEWAY_API_KEYS_FILE].")
    Path apiKeysFile;

    @Option(names = "--rate-limit", defaultValue = "${env:GATEWAY_RATE_LIMIT:-0}",
            description = "Model calls a second per client (API key, JWT subject, or source address when anonymous);"
                    + " 0 for no limit [GATEWAY_RATE_LIMIT] (default: ${DEFAULT-VALUE}).")
    double rateLimit;

    @Option(names = "--rate-limit-burst", defaultValue = "${env:GATEWAY_RATE_LIMIT_BURST:-0}",
            description = "Calls a client may make at once before the rate applies; 0 for one second's worth"
                    + " [GATEWAY_RATE_LIMIT_BURST] (default: ${DEFAULT-VALUE}).")
    long rateLimitBurst;

    @Option(names = "--redis", defaultValue = "${env:GATEWAY_REDIS}",
            description = "redis://host:port where every gateway replica keeps the rate-limit buckets, so that a limit"
                    + " holds across replicas; without it each gateway counts alone [GATEWAY_REDIS].")
    String redis;

    @Option(names = "--rate-limit-replicas", defaultValue = "${env:GATEWAY_RATE_LIMIT_REPLICAS:-2}",
            description = "While Redis is unreachable each gateway allows this fraction of the limit: set it to the"
                    + " number of gateway replicas [GATEWAY_RATE_LIMIT_REPLICAS] (default: ${DEFAULT-VALUE}).")
    int rateLimitReplicas;

    /**
     * Parses command-line flags (environment variables fill in the rest) and validates them.
     *
     * @throws picocli.CommandLine.ParameterException for an unknown flag or a malformed value
     * @throws IllegalArgumentException for a value out of range or a mode mix-up
     */
    public static GatewayConfig parse(String... args) {
        GatewayConfig config = new GatewayConfig();
        new picocli.CommandLine(config).parseArgs(args);
        config.validate();
        return config;
    }

    void validate() {
        boolean mesh = upstream != null;
        boolean local = stable != null || canary != null;
        require(mesh != local, "give either --upstream (mesh mode) or --stable and --canary (local mode)");
        require(!local || (stable != null && canary != null), "local mode needs both --stable and --canary");
        require(canaryWeight >= 0 && canaryWeight <= 100, "--canary-weight must be 0 to 100, was " + canaryWeight);
        require(shadowPercent >= 0 && shadowPercent <= 100, "--shadow-percent must be 0 to 100, was " + shadowPercent);
        require(shadowMinCosine > -1 && shadowMinCosine <= 1,
                "--shadow-min-cosine must be above -1 and at most 1, was " + shadowMinCosine);
        require(shadowMaxInFlight >= 1, "--shadow-max-in-flight must be at least 1, was " + shadowMaxInFlight);
        require(port >= 0 && port <= 65535, "--port must be a port number, was " + port);
        require(managementPort >= 0 && managementPort <= 65535,
                "--management-port must be a port number, was " + managementPort);
        require(pinTtlSeconds > 0, "--pin-ttl-seconds must be positive");
        require(defaultTimeoutMillis > 0, "--default-timeout-ms must be positive");
        require(deadlineMarginMillis >= 0, "--deadline-margin-ms must not be negative");
        require(maxRequestBytes >= 1024, "--max-request-bytes must be at least 1024");
        require(jwks == null || (jwtIssuer != null && jwtAudience != null), "--jwks needs --jwt-issuer and --jwt-audience");
        require(rateLimit >= 0 && !Double.isInfinite(rateLimit), "--rate-limit must be 0 (none) or a positive number, was " + rateLimit);
        require(rateLimitBurst >= 0, "--rate-limit-burst must not be negative, was " + rateLimitBurst);
        require(rateLimitReplicas >= 1, "--rate-limit-replicas must be at least 1, was " + rateLimitReplicas);
        require(redis == null || redis.startsWith("redis://") || redis.startsWith("rediss://"),
                "--redis must be a redis:// or rediss:// URI, was " + redis);
        require(redis == null || rateLimit > 0, "--redis keeps rate limits, so it needs --rate-limit");
        require(adminToken == null || adminToken.length() >= 16, "--admin-token must have at least 16 characters");
    }

    boolean localMode() {
        return upstream == null;
    }

    /** The per-client limit, if there is one. */
    Optional<Limit> rateLimit() {
        return rateLimit > 0
                ? Optional.of(new Limit(rateLimit, rateLimitBurst > 0 ? rateLimitBurst : Math.max(1, (long) Math.ceil(rateLimit))))
                : Optional.empty();
    }

    Duration defaultTimeout() {
        return Duration.ofMillis(defaultTimeoutMillis);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
