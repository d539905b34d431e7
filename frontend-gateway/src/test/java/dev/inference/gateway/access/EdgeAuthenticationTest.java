package dev.inference.gateway.access;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.gateway.TestPlatform;
import dev.inference.gateway.openai.OpenAiClient;
import dev.inference.server.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway with both kinds of credential configured, in front of real inference servers: real
 * RSA and EC keys, a JWKS served over HTTP on loopback and rotated during the test, an API-key
 * file edited while the gateway serves.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeAuthenticationTest {

    private static final String ISSUER = "https://id.example.test/";
    private static final String AUDIENCE = "inference-platform";
    private static final String PREDICT = "/v1/models/sentiment:predict";
    private static final String BODY = "{\"instances\":[\"The food was great\"]}";
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    static Path dir;
    private static JwksServer jwks;
    private static RSAKey rsa;
    private static ECKey ec;
    private static Path keysFile;
    private static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        jwks = new JwksServer();
        jwks.serve(List.of(rsa, ec));
        keysFile = Files.writeString(dir.resolve("api-keys"), String.join("\n",
                TestKeys.line("search-app", "key-search"),
                TestKeys.line("other-team", "key-other", "models=tabular"),
                TestKeys.line("ops", "key-ops", "admin")) + "\n");
        platform = TestPlatform.start(gateway -> gateway.jwt(jwks.url(), ISSUER, AUDIENCE).apiKeysFile(keysFile));
    }

    @AfterAll
    static void stop() {
        platform.close();
        jwks.close();
    }

    @Test
    @Order(1)
    void aModelCallWithoutACredentialIsRefusedWithTheBearerChallenge() throws Exception {
        HttpResponse<String> refused = platform.post(PREDICT, BODY);

        assertEquals(401, refused.statusCode(), refused.body());
        assertEquals("Bearer realm=\"inference\"", refused.headers().firstValue("www-authenticate").orElseThrow());
        assertTrue(refused.body().contains("\"status\":\"UNAUTHENTICATED\""), refused.body());
        HttpResponse<String> v2 = platform.get("/v2/models/sentiment");
        assertEquals(401, v2.statusCode());
        assertTrue(v2.body().startsWith("{\"error\":\"a credential is required"), "the protocol's own error shape: " + v2.body());
    }

    @Test
    @Order(1)
    void aGrpcWebCallWithoutACredentialGetsItsStatusInTheHeaders() throws Exception {
        // A gRPC-Web frame of an empty ListModelsRequest: flag 0, length 0.
        HttpResponse<String> refused = TestPlatform.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(platform.url("/inference.v1.InferenceService/ListModels")))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[5])),
                "content-type", "application/grpc-web+proto", "x-grpc-web", "1");

        assertEquals(200, refused.statusCode(), "gRPC-Web carries its status in grpc-status");
        assertEquals(String.valueOf(Status.Code.UNAUTHENTICATED.value()), refused.headers().firstValue("grpc-status").orElseThrow());
        assertTrue(refused.headers().firstValue("grpc-message").orElseThrow().startsWith("a credential is required"));
    }

    @Test
    @Order(2)
    void healthMetricsAndTheUiStayOpen() throws Exception {
        assertEquals(200, platform.get("/ui/").statusCode());
        assertEquals(200, platform.get("/metrics").statusCode());
        assertEquals(200, platform.get("/internal/health").statusCode());
        assertEquals(200, platform.get("/v2/health/live").statusCode());
    }

    @Test
    @Order(3)
    void rs256AndEs256TokensOfTheJwksAreAccepted() throws Exception {
        assertEquals(200, platform.post(PREDICT, BODY, "authorization", "Bearer " + token(rsa, JWSAlgorithm.RS256, claims -> { })).statusCode());
        assertEquals(200, platform.post(PREDICT, BODY, "authorization", "Bearer " + token(ec, JWSAlgorithm.ES256, claims -> { })).statusCode());
    }

    @Test
    @Order(4)
    void everyBadTokenIsRefused() throws Exception {
        long now = Instant.now().getEpochSecond();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        List<String> bad = List.of(
                new PlainJWT(claims(claims -> { }).build()).serialize(),
                hs256WithThePublicKey(),
                token(rsa, JWSAlgorithm.RS256, claims -> claims.issuer("https://elsewhere.test/")),
                token(rsa, JWSAlgorithm.RS256, claims -> claims.audience("another-api")),
                token(rsa, JWSAlgorithm.RS256, claims -> claims.expirationTime(new Date((now - 120) * 1000))),
                token(rsa, JWSAlgorithm.RS256, claims -> claims.notBeforeTime(new Date((now + 120) * 1000))),
                token(stranger, JWSAlgorithm.RS256, claims -> { }),
                token(rsa, JWSAlgorithm.RS256, claims -> { }).replaceFirst("\\.[^.]+$", ".c2lnbmF0dXJl"));
        for (String token : bad) {
            HttpResponse<String> refused = platform.post(PREDICT, BODY, "authorization", "Bearer " + token);
            assertEquals(401, refused.statusCode(), token + " -> " + refused.body());
            assertTrue(refused.headers().firstValue("www-authenticate").orElseThrow().contains("error=\"invalid_token\""));
        }
        assertTrue(platform.get("/metrics").body().contains("gateway_auth_refusals_total{reason=\"invalid_token\"}"));
    }

    @Test
    @Order(5)
    void apiKeysWorkAsBearerOrXApiKey() throws Exception {
        assertEquals(200, platform.post(PREDICT, BODY, "authorization", "Bearer key-search").statusCode());
        assertEquals(200, platform.post(PREDICT, BODY, "x-api-key", "key-search").statusCode());
        HttpResponse<String> wrong = platform.post(PREDICT, BODY, "x-api-key", "key-guessed");
        assertEquals(401, wrong.statusCode());
        assertTrue(!wrong.body().contains("key-guessed"), "the credential is never echoed");
    }

    /** OpenAI's SDKs send their API key as a bearer token: a platform key works there unchanged. */
    @Test
    @Order(5)
    void theOfficialOpenAiClientUsesAnApiKeyAsItsOwn() throws Exception {
        String baseUrl = platform.url("/v1");
        JsonObject allowed = OpenAiClient.embeddings(baseUrl, "key-search", "all-minilm-l6-v2", List.of("hello"));
        assertEquals(384, allowed.getAsJsonObject("byDefault").getAsJsonArray("data").get(0).getAsJsonObject()
                .getAsJsonArray("embedding").size(), allowed.toString());

        JsonObject guessed = OpenAiClient.embeddings(baseUrl, "key-guessed", "all-minilm-l6-v2", List.of("hello"));
        JsonObject unauthenticated = guessed.getAsJsonObject("byDefault").getAsJsonObject("error");
        assertEquals(401, unauthenticated.get("status").getAsInt(), guessed.toString());
        assertEquals("authentication_error", unauthenticated.get("type").getAsString());

        JsonObject otherTeam = OpenAiClient.embeddings(baseUrl, "key-other", "all-minilm-l6-v2", List.of("hello"));
        JsonObject forbidden = otherTeam.getAsJsonObject("byDefault").getAsJsonObject("error");
        assertEquals(403, forbidden.get("status").getAsInt(), otherTeam.toString());
        assertEquals("permission_error", forbidden.get("type").getAsString());
        assertTrue(forbidden.get("message").getAsString().contains("client other-team may not call model all-minilm-l6-v2"),
                forbidden.toString());
    }

    @Test
    @Order(6)
    void aClientRestrictedToOtherModelsIsForbiddenOnEveryApi() throws Exception {
        HttpResponse<String> rest = platform.post(PREDICT, BODY, "x-api-key", "key-other");
        assertEquals(403, rest.statusCode(), rest.body());
        assertTrue(rest.headers().firstValue("www-authenticate").orElseThrow().contains("error=\"insufficient_scope\""));
        assertTrue(rest.body().contains("client other-team may not call model sentiment"), rest.body());
        assertEquals(403, platform.get("/v2/models/sentiment", "x-api-key", "key-other").statusCode());
        HttpResponse<String> tokenForOthers = platform.post(PREDICT, BODY, "authorization",
                "Bearer " + token(rsa, JWSAlgorithm.RS256, claims -> claims.claim("models", List.of("tabular"))));
        assertEquals(403, tokenForOthers.statusCode());

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", platform.gateway.port()).usePlaintext().build();
        try {
            PredictRequest request = PredictRequest.newBuilder().setModel("sentiment").addInstances("Lovely").build();
            StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> InferenceServiceGrpc
                    .newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).predict(request));
            assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
            StatusRuntimeException forbidden = assertThrows(StatusRuntimeException.class, () -> stub(channel, "Bearer key-other")
                    .predict(request));
            assertEquals(Status.Code.PERMISSION_DENIED, forbidden.getStatus().getCode());
            assertEquals(1, stub(channel, "Bearer " + token(ec, JWSAlgorithm.ES256, claims -> { })).predict(request).getPredictionsCount());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    @Order(7)
    void onlyAnAdminCredentialChangesTraffic() throws Exception {
        String body = "{\"canaryWeight\": 10}";
        assertEquals(401, platform.post("/admin/traffic", body).statusCode());
        assertEquals(403, platform.post("/admin/traffic", body, "x-api-key", "key-search").statusCode());
        assertEquals(200, platform.post("/admin/traffic", body, "x-api-key", "key-ops").statusCode());
        assertEquals(200, platform.post("/admin/traffic", body, "authorization",
                "Bearer " + token(rsa, JWSAlgorithm.RS256, claims -> claims.claim("scope", "inference:admin"))).statusCode());
    }

    @Test
    @Order(8)
    void aKeyIsRevokedAndAnotherAddedByEditingTheFile() throws Exception {
        Files.writeString(keysFile, TestKeys.line("search-app", "key-search-rotated") + "\n");

        awaitStatus(401, "key-search");
        awaitStatus(200, "key-search-rotated");
    }

    @Test
    @Order(9)
    void aRotatedSigningKeyIsFetchedWithoutARestart() throws Exception {
        RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        int fetched = jwks.fetches();
        jwks.serve(List.of(rsa, ec, next));

        HttpResponse<String> accepted = platform.post(PREDICT, BODY, "authorization",
                "Bearer " + token(next, JWSAlgorithm.RS256, claims -> { }));

        assertEquals(200, accepted.statusCode(), accepted.body());
        assertTrue(jwks.fetches() > fetched, "the unknown key id made the gateway fetch the JWKS again");
    }

    /** An identity provider that is down is the platform's failure, not the client's: 503, and the gateway keeps serving. */
    @Test
    @Order(10)
    void aJwksThatCannotBeFetchedIsUnavailableNotAnInvalidToken() throws Exception {
        int down = FreePorts.next();
        var gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(platform.stable)
                .jwt("http://127.0.0.1:" + down + "/jwks.json", ISSUER, AUDIENCE));
        try {
            HttpResponse<String> refused = TestPlatform.post(gateway, PREDICT, BODY,
                    "authorization", "Bearer " + token(rsa, JWSAlgorithm.RS256, claims -> { }));

            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("the keys to verify the token cannot be fetched now"), refused.body());
            assertEquals(200, TestPlatform.get(gateway, "/internal/health").statusCode());
        } finally {
            gateway.close();
        }
    }

    private static InferenceServiceGrpc.InferenceServiceBlockingStub stub(ManagedChannel channel, String authorization) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, authorization);
        return InferenceServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    /** The file is looked at again at most once a second; the gateway answers with the new keys within a few. */
    private static void awaitStatus(int expected, String key) {
        await("HTTP " + expected + " for a call with " + key).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> platform.post(PREDICT, BODY, "x-api-key", key).statusCode(), equalTo(expected));
    }

    private static JWTClaimsSet.Builder claims(Consumer<JWTClaimsSet.Builder> tweak) {
        long now = Instant.now().getEpochSecond();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("search-service").issuer(ISSUER).audience(AUDIENCE)
                .issueTime(new Date(now * 1000)).expirationTime(new Date((now + 600) * 1000));
        tweak.accept(claims);
        return claims;
    }

    private static String token(com.nimbusds.jose.jwk.JWK key, JWSAlgorithm algorithm, Consumer<JWTClaimsSet.Builder> tweak)
            throws Exception {
        JWSSigner signer = key instanceof RSAKey rsaKey ? new RSASSASigner(rsaKey) : new ECDSASigner((ECKey) key);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
                claims(tweak).build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    /** The classic confusion attack: HMAC "signed" with the bytes of the RSA public key a verifier holds. */
    private static String hs256WithThePublicKey() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(),
                claims(claims -> { }).build());
        jwt.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
        return jwt.serialize();
    }
}
