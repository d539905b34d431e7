package dev.inference.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.server.InferenceServer;
import dev.inference.server.registry.RepositoryControl;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model repository extension through the gateway: the admin's token opens it, anything else
 * is refused; loads and unloads reach the server of the track asked for, in mode explicit.
 */
class RepositoryAdminTest {

    private static final String TOKEN = "s3cret-admin-token-for-repository-tests";
    private static final String[] ADMIN = {"authorization", "Bearer " + TOKEN};
    private static InferenceServer stable;
    private static InferenceServer canary;
    private static GatewayServer gateway;

    @BeforeAll
    static void start() throws Exception {
        stable = TestPlatform.inferenceServer(TestPlatform.serverConfig()
                .modelControlMode(RepositoryControl.Mode.EXPLICIT).loadModels(List.of("sentiment")).track("stable")
                .warmUp(Duration.ZERO));
        canary = TestPlatform.inferenceServer(TestPlatform.serverConfig().track("canary").warmUp(Duration.ZERO));
        gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().stable("127.0.0.1:" + stable.port())
                .canary("127.0.0.1:" + canary.port()).canaryWeight(0).adminToken(TOKEN));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        stable.stop(Duration.ofSeconds(2));
        canary.stop(Duration.ofSeconds(2));
    }

    @Test
    void onlyTheAdminsTokenOpensTheRepository() throws Exception {
        for (String path : List.of("/v2/repository/index", "/v2/repository/models/sentiment/unload")) {
            HttpResponse<String> refused = TestPlatform.post(gateway, path, "{}");
            assertEquals(401, refused.statusCode(), path + ": " + refused.body());
            assertEquals(401, TestPlatform.post(gateway, path, "{}", "authorization", "Bearer not-the-token").statusCode());
        }
        assertEquals(200, predict().statusCode(), "nothing was unloaded");
    }

    @Test
    void theAdminUnloadsAndLoadsAModelOfTheStableServer() throws Exception {
        assertTrue(versions(index("")).contains("sentiment/2 READY"), index("").toString());

        HttpResponse<String> unload = TestPlatform.post(gateway, "/v2/repository/models/sentiment/unload", "", ADMIN);
        assertEquals(200, unload.statusCode(), unload.body());
        HttpResponse<String> gone = predict();
        assertEquals(404, gone.statusCode(), gone.body());
        assertTrue(versions(index("")).contains("sentiment/2 UNAVAILABLE unloaded"), index("").toString());
        assertEquals(0, index("{\"ready\": true}").size());

        HttpResponse<String> load = TestPlatform.post(gateway, "/v2/repository/models/sentiment/load", "", ADMIN);
        assertEquals(200, load.statusCode(), load.body());
        assertEquals(200, predict().statusCode());
    }

    @Test
    void theCanarysServerRunsInModeNoneAndSaysSo() throws Exception {
        HttpResponse<String> refused = TestPlatform.post(gateway, "/v2/repository/models/sentiment/unload?track=canary",
                "", ADMIN);
        assertEquals(400, refused.statusCode());
        assertTrue(refused.body().contains("--model-control-mode none"), refused.body());
        HttpResponse<String> index = TestPlatform.post(gateway, "/v2/repository/index?track=canary", "", ADMIN);
        assertTrue(index.body().contains("\"state\":\"READY\""), index.body());
    }

    @Test
    void mistakesGetPreciseAnswers() throws Exception {
        assertEquals(404, TestPlatform.post(gateway, "/v2/repository/models/nope/load", "", ADMIN).statusCode());
        assertEquals(400, TestPlatform.post(gateway, "/v2/repository/index?track=blue", "", ADMIN).statusCode());
        assertEquals(400, TestPlatform.post(gateway, "/v2/repository/index", "[", ADMIN).statusCode());
        assertEquals(404, TestPlatform.post(gateway, "/v2/repository/models", "", ADMIN).statusCode());
        HttpResponse<String> get = TestPlatform.get(gateway, "/v2/repository/index", ADMIN);
        assertEquals(405, get.statusCode());
        assertEquals("{\"error\":\"the repository extension's routes take POST\"}", get.body(),
                "the protocol's error shape, as the server's management port answers");
        assertEquals("POST", get.headers().firstValue("allow").orElse(""));
    }

    private static HttpResponse<String> predict() throws Exception {
        return TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\": [\"a fine film\"]}");
    }

    private static JsonArray index(String body) throws Exception {
        HttpResponse<String> index = TestPlatform.post(gateway, "/v2/repository/index", body, ADMIN);
        assertEquals(200, index.statusCode(), index.body());
        return JsonParser.parseString(index.body()).getAsJsonArray();
    }

    private static List<String> versions(JsonArray index) {
        return StreamSupport.stream(index.spliterator(), false).map(JsonElement::getAsJsonObject)
                .filter(model -> model.has("version"))
                .map(model -> model.get("name").getAsString() + "/" + model.get("version").getAsString() + " "
                        + model.get("state").getAsString()
                        + (model.get("reason").getAsString().isEmpty() ? "" : " " + model.get("reason").getAsString()))
                .toList();
    }
}
