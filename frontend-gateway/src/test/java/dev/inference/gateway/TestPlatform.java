package dev.inference.gateway;

import dev.inference.server.DjlOffline;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /** A platform whose gateway gets these flags on top of local mode at a 10% canary weight. */
    public static TestPlatform start(String... gatewayFlags) throws IOException {
        InferenceServer stable = inferenceServer("--default-version", "sentiment=1", "--track", "stable",
                "--revision", "st4ble");
        InferenceServer canary = inferenceServer("--default-version", "sentiment=2", "--track", "canary",
                "--revision", "c4n4ry");
        List<String> flags = new ArrayList<>(List.of("--stable", "127.0.0.1:" + stable.port(),
                "--canary", "127.0.0.1:" + canary.port()));
        flags.addAll(withDefaults(gatewayFlags, "--canary-weight", "10"));
        return new TestPlatform(stable, canary, gateway(flags.toArray(String[]::new)));
    }

    /** One platform at a 10% canary weight, shared by tests that leave it as they found it. */
    public static synchronized TestPlatform shared() throws IOException {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    public static InferenceServer inferenceServer(String... flags) throws IOException {
        DjlOffline.enforce();
        List<String> args = withDefaults(flags, "--host", "127.0.0.1", "--port", "0", "--management-port", "0",
                "--model-repository", System.getProperty("inference.modelRepository"));
        return InferenceServer.start(ServerConfig.parse(args.toArray(String[]::new)));
    }

    public static GatewayServer gateway(String... flags) {
        List<String> args = withDefaults(flags, "--host", "127.0.0.1", "--port", "0");
        return GatewayServer.start(GatewayConfig.parse(args.toArray(String[]::new)));
    }

    /** The flags plus each default flag-value pair whose flag they do not give. */
    private static List<String> withDefaults(String[] flags, String... defaults) {
        List<String> args = new ArrayList<>(Arrays.asList(flags));
        for (int i = 0; i < defaults.length; i += 2) {
            if (!args.contains(defaults[i])) {
                args.addAll(List.of(defaults[i], defaults[i + 1]));
            }
        }
        return args;
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
