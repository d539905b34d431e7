package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.ratelimit.Limit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Each flag reaches its setting, and a value out of range or a mode mix-up is refused naming the flag. */
class GatewayFlagsTest {

    @Test
    void everyFlagSetsItsSetting() {
        GatewayConfig config = parse("--host", "127.0.0.2", "--port", "8081", "--management-port", "8082",
                "--stable", "s:1", "--canary", "c:2", "--canary-weight", "30", "--shadow-percent", "12.5",
                "--shadow-min-cosine", "0.9", "--shadow-max-in-flight", "8", "--pin-ttl-seconds", "60",
                "--default-timeout-ms", "3000", "--deadline-margin-ms", "15", "--max-request-bytes", "2048",
                "--admin-token", "0123456789abcdef", "--jwks", "/jwks.json", "--jwt-issuer", "https://id/",
                "--jwt-audience", "platform", "--api-keys-file", "/keys", "--rate-limit", "5", "--rate-limit-burst", "7",
                "--redis", "redis://127.0.0.1:6379", "--rate-limit-replicas", "3");

        assertEquals("127.0.0.2", config.host());
        assertEquals(8081, config.port());
        assertEquals(8082, config.managementPort());
        assertTrue(config.localMode());
        assertEquals(Optional.of("s:1"), config.stable());
        assertEquals(Optional.of("c:2"), config.canary());
        assertEquals(30, config.canaryWeight());
        assertEquals(12.5, config.shadowPercent());
        assertEquals(0.9, config.shadowMinCosine());
        assertEquals(8, config.shadowMaxInFlight());
        assertEquals(Duration.ofSeconds(60), config.pinTtl());
        assertEquals(Duration.ofSeconds(3), config.defaultTimeout());
        assertEquals(Duration.ofMillis(15), config.deadlineMargin());
        assertEquals(2048, config.maxRequestBytes());
        assertEquals(Optional.of("0123456789abcdef"), config.adminToken());
        assertEquals(Optional.of("/jwks.json"), config.jwks());
        assertEquals(Optional.of("https://id/"), config.jwtIssuer());
        assertEquals(Optional.of("platform"), config.jwtAudience());
        assertEquals(Optional.of(Path.of("/keys")), config.apiKeysFile());
        assertEquals(Optional.of(new Limit(5, 7)), config.rateLimit());
        assertEquals(Optional.of("redis://127.0.0.1:6379"), config.redis());
        assertEquals(3, config.rateLimitReplicas());
    }

    @Test
    void meshModeAndItsDefaults() {
        GatewayConfig config = parse("--upstream", "inference:9000");

        assertFalse(config.localMode());
        assertEquals(Optional.of("inference:9000"), config.upstream());
        assertEquals(Optional.empty(), config.rateLimit());
        assertEquals(GatewayConfig.DEFAULT_PORT, config.port());
    }

    @Test
    void valuesOutOfRangeAndModeMixUpsAreRefusedNamingTheFlag() {
        assertEquals("--canary-weight must be 0 to 100, was 101",
                refused("--upstream", "u:1", "--canary-weight", "101"));
        assertEquals("give either --upstream (mesh mode) or --stable and --canary (local mode)",
                refused("--upstream", "u:1", "--stable", "s:1", "--canary", "c:1"));
        assertEquals("local mode needs both --stable and --canary", refused("--stable", "s:1"));
        assertEquals("--jwks needs --jwt-issuer and --jwt-audience", refused("--upstream", "u:1", "--jwks", "/j"));
        assertEquals("--jwt-issuer and --jwt-audience are for --jwks", refused("--upstream", "u:1", "--jwt-issuer", "i"));
        assertEquals("--redis keeps rate limits, so it needs --rate-limit",
                refused("--upstream", "u:1", "--redis", "redis://r:1"));
    }

    private static GatewayConfig parse(String... args) {
        GatewayFlags flags = new GatewayFlags();
        new CommandLine(flags).parseArgs(args);
        return flags.toConfig();
    }

    private static String refused(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> parse(args)).getMessage();
    }
}
