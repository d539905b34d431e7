package dev.inference.gateway;

import static dev.inference.gateway.GatewayConfig.DEFAULT_CANARY_WEIGHT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_DEADLINE_MARGIN_MS;
import static dev.inference.gateway.GatewayConfig.DEFAULT_HOST;
import static dev.inference.gateway.GatewayConfig.DEFAULT_MANAGEMENT_PORT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_MAX_REQUEST_BYTES;
import static dev.inference.gateway.GatewayConfig.DEFAULT_PIN_TTL_SECONDS;
import static dev.inference.gateway.GatewayConfig.DEFAULT_PORT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_RATE_LIMIT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_RATE_LIMIT_BURST;
import static dev.inference.gateway.GatewayConfig.DEFAULT_RATE_LIMIT_REPLICAS;
import static dev.inference.gateway.GatewayConfig.DEFAULT_SHADOW_MAX_IN_FLIGHT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_SHADOW_MIN_COSINE;
import static dev.inference.gateway.GatewayConfig.DEFAULT_SHADOW_PERCENT;
import static dev.inference.gateway.GatewayConfig.DEFAULT_TIMEOUT_MS;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The gateway's command line: every flag, each also read from the environment variable its
 * description names (a flag on the command line wins), into a {@link GatewayConfig}.
 */
public final class GatewayFlags {

    @Option(names = "--host", defaultValue = "${env:GATEWAY_HOST:-" + DEFAULT_HOST + "}",
            description = "Address to bind [GATEWAY_HOST] (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:GATEWAY_PORT:-" + DEFAULT_PORT + "}",
            description = "Port for UI, REST, gRPC, metrics; 0 picks a free one [GATEWAY_PORT] (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--management-port", defaultValue = "${env:GATEWAY_MANAGEMENT_PORT:-" + DEFAULT_MANAGEMENT_PORT + "}",
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

    @Option(names = "--canary-weight", defaultValue = "${env:GATEWAY_CANARY_WEIGHT:-" + DEFAULT_CANARY_WEIGHT + "}",
            description = "Local mode: percent of unpinned requests sent to the canary [GATEWAY_CANARY_WEIGHT].")
    int canaryWeight;

    @Option(names = "--shadow-percent", defaultValue = "${env:GATEWAY_SHADOW_PERCENT:-" + DEFAULT_SHADOW_PERCENT + "}",
            description = "Percent of unpinned model calls also sent, once answered, to the other track, whose answers"
                    + " are compared with the client's [GATEWAY_SHADOW_PERCENT] (default: ${DEFAULT-VALUE}).")
    double shadowPercent;

    @Option(names = "--shadow-min-cosine", defaultValue = "${env:GATEWAY_SHADOW_MIN_COSINE:-" + DEFAULT_SHADOW_MIN_COSINE + "}",
            description = "The least cosine at which a shadowed embedding agrees with the answer's for the same text"
                    + " [GATEWAY_SHADOW_MIN_COSINE] (default: ${DEFAULT-VALUE}).")
    double shadowMinCosine;

    @Option(names = "--shadow-max-in-flight",
            defaultValue = "${env:GATEWAY_SHADOW_MAX_IN_FLIGHT:-" + DEFAULT_SHADOW_MAX_IN_FLIGHT + "}",
            description = "Most shadow calls under way at once; more are skipped, never queued"
                    + " [GATEWAY_SHADOW_MAX_IN_FLIGHT] (default: ${DEFAULT-VALUE}).")
    int shadowMaxInFlight;

    @Option(names = "--pin-ttl-seconds", defaultValue = "${env:GATEWAY_PIN_TTL_SECONDS:-" + DEFAULT_PIN_TTL_SECONDS + "}",
            description = "Lifetime of the model-track cookie [GATEWAY_PIN_TTL_SECONDS] (default: ${DEFAULT-VALUE}).")
    long pinTtlSeconds;

    @Option(names = "--default-timeout-ms", defaultValue = "${env:GATEWAY_DEFAULT_TIMEOUT_MS:-" + DEFAULT_TIMEOUT_MS + "}",
            description = "Deadline of calls that bring none (REST without grpc-timeout)"
                    + " [GATEWAY_DEFAULT_TIMEOUT_MS] (default: ${DEFAULT-VALUE}).")
    long defaultTimeoutMillis;

    @Option(names = "--deadline-margin-ms", defaultValue = "${env:GATEWAY_DEADLINE_MARGIN_MS:-" + DEFAULT_DEADLINE_MARGIN_MS + "}",
            description = "Subtracted from the remaining deadline before forwarding, for the way back"
                    + " [GATEWAY_DEADLINE_MARGIN_MS] (default: ${DEFAULT-VALUE}).")
    long deadlineMarginMillis;

    @Option(names = "--max-request-bytes", defaultValue = "${env:GATEWAY_MAX_REQUEST_BYTES:-" + DEFAULT_MAX_REQUEST_BYTES + "}",
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

    @Option(names = "--rate-limit", defaultValue = "${env:GATEWAY_RATE_LIMIT:-" + DEFAULT_RATE_LIMIT + "}",
            description = "Model calls a second per client (API key, JWT subject, or source address when anonymous);"
                    + " 0 for no limit [GATEWAY_RATE_LIMIT] (default: ${DEFAULT-VALUE}).")
    double rateLimit;

    @Option(names = "--rate-limit-burst", defaultValue = "${env:GATEWAY_RATE_LIMIT_BURST:-" + DEFAULT_RATE_LIMIT_BURST + "}",
            description = "Calls a client may make at once before the rate applies; 0 for one second's worth"
                    + " [GATEWAY_RATE_LIMIT_BURST] (default: ${DEFAULT-VALUE}).")
    long rateLimitBurst;

    @Option(names = "--redis", defaultValue = "${env:GATEWAY_REDIS}",
            description = "redis://host:port where every gateway replica keeps the rate-limit buckets, so that a limit"
                    + " holds across replicas; without it each gateway counts alone [GATEWAY_REDIS].")
    String redis;

    @Option(names = "--rate-limit-replicas",
            defaultValue = "${env:GATEWAY_RATE_LIMIT_REPLICAS:-" + DEFAULT_RATE_LIMIT_REPLICAS + "}",
            description = "While Redis is unreachable each gateway allows this fraction of the limit: set it to the"
                    + " number of gateway replicas [GATEWAY_RATE_LIMIT_REPLICAS] (default: ${DEFAULT-VALUE}).")
    int rateLimitReplicas;

    /**
     * The configuration these flags describe.
     *
     * @throws IllegalArgumentException for a value out of range or a mode mix-up, naming the flag
     */
    public GatewayConfig toConfig() {
        GatewayConfig.Builder config = GatewayConfig.builder()
                .host(host)
                .port(port)
                .managementPort(managementPort)
                .canaryWeight(canaryWeight)
                .shadowPercent(shadowPercent)
                .shadowMinCosine(shadowMinCosine)
                .shadowMaxInFlight(shadowMaxInFlight)
                .pinTtl(Duration.ofSeconds(pinTtlSeconds))
                .defaultTimeout(Duration.ofMillis(defaultTimeoutMillis))
                .deadlineMargin(Duration.ofMillis(deadlineMarginMillis))
                .maxRequestBytes(maxRequestBytes)
                .rateLimit(rateLimit)
                .rateLimitBurst(rateLimitBurst)
                .rateLimitReplicas(rateLimitReplicas);
        if (upstream != null) {
            config.upstream(upstream);
        }
        if (stable != null) {
            config.stable(stable);
        }
        if (canary != null) {
            config.canary(canary);
        }
        if (adminToken != null) {
            config.adminToken(adminToken);
        }
        if (jwks != null || jwtIssuer != null || jwtAudience != null) {
            config.jwt(jwks, jwtIssuer, jwtAudience);
        }
        if (apiKeysFile != null) {
            config.apiKeysFile(apiKeysFile);
        }
        if (redis != null) {
            config.redis(redis);
        }
        return config.build();
    }
}
