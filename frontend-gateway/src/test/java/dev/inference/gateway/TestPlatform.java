package dev.inference.gateway;

import dev.inference.server.DjlOffline;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * The local platform for tests: a real stable inference server (version 1, revision st4ble), a
 * real canary (version 2, revision c4n4ry) and the gateway in local mode in front of them, all on
 * free loopback ports.
 */
public final class TestPlatform implements AutoCloseable {

    private static TestPlatform shared;

    public final InferenceServer stable;
    public final InferenceServer canary;
    public final GatewayServer gateway;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestPlatform(InferenceServer stable, InferenceServer canary, GatewayServer gateway) {
        this.stable = stable;
        this.canary = canary;
        this.gateway = gateway;
    }

    /** A platform whose gateway runs in local mode at a 10% canary weight. */
    public static TestPlatform start() throws IOException {
        return start(gateway -> gateway);
    }

    /** A platform whose gateway, in local mode at a 10% canary weight, is then set by {@code gatewaySettings}. */
    public static TestPlatform start(UnaryOperator<GatewayConfig.Builder> gatewaySettings) throws IOException {
        InferenceServer stable = inferenceServer(serverConfig().defaultVersion("sentiment", "1").track("stable")
                .revision("st4ble"));
        InferenceServer canary = inferenceServer(serverConfig().defaultVersion("sentiment", "2").track("canary")
                .revision("c4n4ry"));
        GatewayConfig.Builder gateway = gatewayConfig().stable("127.0.0.1:" + stable.port())
                .canary("127.0.0.1:" + canary.port()).canaryWeight(10);
        return new TestPlatform(stable, canary, gateway(gatewaySettings.apply(gateway)));
    }

    /** One platform at a 10% canary weight, shared by tests that leave it as they found it. */
    public static synchronized TestPlatform shared() throws IOException {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** An inference server's defaults on loopback with free ports, serving the build's model repository. */
    public static ServerConfig.Builder serverConfig() {
        return ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0)
                .modelRepository(Path.of(System.getProperty("inference.modelRepository")));
    }

    public static InferenceServer inferenceServer() throws IOException {
        return inferenceServer(serverConfig());
    }

    public static InferenceServer inferenceServer(ServerConfig.Builder config) throws IOException {
        DjlOffline.enforce();
        return new InferenceServer(config.build()).start();
    }

    /** The gateway's defaults on loopback with a free port; a routing mode is still to be set. */
    public static GatewayConfig.Builder gatewayConfig() {
        return GatewayConfig.builder().host("127.0.0.1").port(0);
    }

    /** A gateway in mesh mode in front of {@code upstream}. */
    public static GatewayConfig.Builder gatewayConfig(InferenceServer upstream) {
        return gatewayConfig().upstream("127.0.0.1:" + upstream.port());
    }

    public static GatewayServer gateway(GatewayConfig.Builder config) {
        return new GatewayServer(config.build()).start();
    }

    public String url(String path) {
        return url(gateway, path);
    }

    public static String url(GatewayServer gateway, String path) {
        return "http://127.0.0.1:" + gateway.port() + path;
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return get(gateway, path, headers);
    }

    /** GETs from any gateway, for tests that run their own. */
    public static HttpResponse<String> get(GatewayServer target, String path, String... headers)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url(target, path))).GET(), headers);
    }

    public HttpResponse<String> post(String path, String json, String... headers)
            throws IOException, InterruptedException {
        return post(gateway, path, json, headers);
    }

    /** POSTs JSON to any gateway, for tests that run their own. */
    public static HttpResponse<String> post(GatewayServer target, String path, String json, String... headers)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url(target, path)))
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .header("content-type", "application/json"), headers);
    }

    public static HttpResponse<String> send(HttpRequest.Builder request, String... headers)
            throws IOException, InterruptedException {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        gateway.close();
        stable.stop(Duration.ofSeconds(2));
        canary.stop(Duration.ofSeconds(2));
    }
}
