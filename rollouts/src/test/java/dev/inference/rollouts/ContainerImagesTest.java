package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.rollouts.Manifests.Manifest;
import dev.inference.server.Required;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images that the manifests name, run the way the Rollout and the Deployment run them: the
 * image and tag from the root kustomization, the user, read-only root filesystem, writable mounts
 * and dropped capabilities of the pod specs, the environment of their ConfigMaps. The images come
 * from the images profile of this build (podman). Host networking on 127.0.0.1 only: a bridge
 * network's private addresses are off limits here, so the ports the ConfigMaps set are moved to
 * free ones and the bind address to loopback; nothing else is changed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerImagesTest {

    private static final Path PODMAN = Path.of("/usr/bin/podman");
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final List<String> FIGURES = new ArrayList<>();

    @TempDir
    static Path dir;
    private static List<Manifest> built;
    private static final String API_KEY = "container-test-key";
    private static Workload server;
    private static Workload gateway;
    private static int serverPort;
    private static int serverManagementPort;
    private static int gatewayPort;
    private static int gatewayManagementPort;
    private static double serverStartSeconds;

    /** A container of the platform, as its pod spec describes it. */
    record Workload(String container, String image, Map<String, Object> pod, Map<String, Object> spec, Map<String, String> env) {

        long userId() {
            return ((Number) map(pod.get("securityContext")).get("runAsUser")).longValue();
        }

        long groupId() {
            return ((Number) map(pod.get("securityContext")).get("runAsGroup")).longValue();
        }

        Duration grace() {
            return Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue());
        }

        /** How long the kubelet's startup probe waits: period × failure threshold. */
        Duration startupBudget() {
            Map<String, Object> probe = map(spec.get("startupProbe"));
            return Duration.ofSeconds(((Number) probe.get("periodSeconds")).longValue()
                    * ((Number) probe.get("failureThreshold")).longValue());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        Required.that(Files.isExecutable(PODMAN), "podman is not installed (.ci/run installs podman, runc and debootstrap)");
        built = Manifests.built();
        server = workload("Rollout", "inference-server");
        gateway = workload("Deployment", "frontend-gateway");
        serverPort = freePort();
        serverManagementPort = freePort();
        gatewayPort = freePort();
        gatewayManagementPort = freePort();

        Path podinfo = Files.createDirectories(dir.resolve("podinfo"));
        Files.writeString(podinfo.resolve("labels"), "app.kubernetes.io/name=\"inference-server\"\n"
                + "rollouts-pod-template-hash=\"c0ntainer\"\ntrack=\"stable\"\n");
        long start = System.nanoTime();
        run(server, Map.of("INFERENCE_HOST", "127.0.0.1", "INFERENCE_PORT", String.valueOf(serverPort),
                "INFERENCE_MANAGEMENT_PORT", String.valueOf(serverManagementPort)), Map.of("/etc/podinfo", podinfo));
        awaitServing(serverPort, "", server.startupBudget());
        serverStartSeconds = (System.nanoTime() - start) / 1e9;
        // The API keys' Secret, as the kubelet mounts it: a file named after the Secret's key. The
        // manifest's Redis does not resolve here, so the gateway limits with its own share, as it
        // does whenever Redis is away.
        Path apiKeys = Files.createDirectories(dir.resolve("api-keys"));
        Files.writeString(apiKeys.resolve("keys"), "container-test "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(API_KEY.getBytes(StandardCharsets.UTF_8))) + "\n");
        run(gateway, Map.of("GATEWAY_HOST", "127.0.0.1", "GATEWAY_PORT", String.valueOf(gatewayPort),
                "GATEWAY_MANAGEMENT_PORT", String.valueOf(gatewayManagementPort),
                "GATEWAY_UPSTREAM", "127.0.0.1:" + serverPort), Map.of(gateway.env().get("GATEWAY_API_KEYS_FILE")
                        .replaceFirst("/[^/]+$", ""), apiKeys));
        awaitServing(gatewayManagementPort, "", Duration.ofSeconds(60));
    }

    @Test
    void theServerImageReportsServingWithinTheStartupProbesBudgetAndAnswersTheKubeletsProbes() throws Exception {
        assertTrue(serverStartSeconds < server.startupBudget().toSeconds(), serverStartSeconds + " s");
        assertEquals(ServingStatus.SERVING, health(serverPort, ""), "startup and liveness probe");
        String readiness = (String) map(map(server.spec().get("readinessProbe")).get("grpc")).get("service");
        assertEquals(ServingStatus.SERVING, health(serverPort, readiness), "readiness probe");
        assertEquals(ServingStatus.SERVING, health(gatewayManagementPort, ""), "the gateway's probes, on its management port");
        FIGURES.add(String.format(Locale.ROOT, "inference-server image SERVING %.1f s after podman run (startup probe budget %d s)",
                serverStartSeconds, server.startupBudget().toSeconds()));
    }

    @Test
    void predictThroughTheGatewayImageToTheServerImageKeepsTheHeldOutAccuracy() throws Exception {
        List<String[]> labelled = new ArrayList<>();
        for (String line : Files.readAllLines(Manifests.ROOT.resolve(
                "inference-server/src/test/resources/sentiment/labeled-reviews.tsv"))) {
            if (!line.startsWith("#") && !line.isBlank()) {
                labelled.add(line.split("\t", 2));
            }
        }
        int correct = 0;
        String track = null;
        for (int from = 0; from < labelled.size(); from += 32) {
            JsonArray instances = new JsonArray();
            List<String[]> chunk = labelled.subList(from, Math.min(labelled.size(), from + 32));
            chunk.forEach(example -> instances.add(example[1]));
            JsonObject body = new JsonObject();
            body.add("instances", instances);
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + gatewayPort + "/v1/models/sentiment:predict"))
                    .header("content-type", "application/json").header("x-api-key", API_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            track = response.headers().firstValue("x-model-track").orElse(null);
            JsonArray predictions = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("predictions");
            for (int i = 0; i < chunk.size(); i++) {
                if (predictions.get(i).getAsJsonObject().get("label").getAsString().equals(chunk.get(i)[0])) {
                    correct++;
                }
            }
        }
        double accuracy = correct / (double) labelled.size();
        assertTrue(accuracy >= 0.85, "held-out accuracy " + accuracy);
        assertEquals("stable", track, "the track from the downward-API labels file, read under a read-only root");
        FIGURES.add(String.format(Locale.ROOT, "held-out accuracy through the gateway image to the server image: %.1f%% (%d texts, version %s)",
                100 * accuracy, labelled.size(), server.env().get("INFERENCE_DEFAULT_VERSION")));
    }

    @Test
    void bothImagesExportMetricsOnTheirManagementPorts() throws Exception {
        assertTrue(get(serverManagementPort, "/metrics").contains("inference_requests_total"));
        assertTrue(get(gatewayManagementPort, "/metrics").contains("jvm_memory_used_bytes"));
    }

    /**
     * Only the mount points may differ from the image: the volumes' and the files podman itself
     * mounts into every container. The processes wrote nothing else.
     */
    @Test
    void nothingIsWrittenOutsideTheMountedPaths() throws Exception {
        for (Workload workload : List.of(server, gateway)) {
            List<String> mountPoints = new ArrayList<>(mounts(workload));
            mountPoints.addAll(List.of("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv"));
            List<String> changed = new ArrayList<>();
            for (String line : podman("diff", workload.container()).lines().toList()) {
                String path = line.substring(2).strip();
                boolean mountPoint = mountPoints.stream().anyMatch(mount -> mount.equals(path) || mount.startsWith(path + "/"));
                if (!mountPoint) {
                    changed.add(line);
                }
            }
            assertEquals(List.of(), changed, workload.container() + " wrote outside its mounts");
        }
    }

    /** The model repository in a layer of its own, no build tools, a numeric user, OCI labels. */
    @Test
    void imagesAreLeanNonRootAndLabelled() throws Exception {
        for (Workload workload : List.of(server, gateway)) {
            JsonObject config = JsonParser.parseString(podman("image", "inspect", workload.image())).getAsJsonArray()
                    .get(0).getAsJsonObject().getAsJsonObject("Config");
            assertEquals("10001:10001", config.get("User").getAsString());
            JsonObject labels = config.getAsJsonObject("Labels");
            assertEquals(workload.image().substring(workload.image().lastIndexOf(':') + 1),
                    labels.get("org.opencontainers.image.version").getAsString(), "the tag is the version built");
            assertFalse(labels.get("org.opencontainers.image.revision").getAsString().isBlank());
            assertTrue(labels.has("org.opencontainers.image.source"));
            List<String> probe = new ArrayList<>(List.of("run", "--rm", "--network", "host"));
            probe.addAll(SANDBOX_LIMITS);
            probe.addAll(List.of("--entrypoint", "sh", workload.image(), "-c",
                    "for tool in mvn javac gcc git; do command -v $tool; done; ls /opt/*/ | grep -c '\\.java$' || true"));
            String tools = podman(probe.toArray(String[]::new));
            assertEquals("0", tools.strip(), workload.image() + " carries build tools or sources: " + tools);
            List<String> layers = new ArrayList<>();
            for (JsonElement layer : JsonParser.parseString(podman("history", "--format", "json", workload.image())).getAsJsonArray()) {
                JsonObject entry = layer.getAsJsonObject();
                long size = entry.get("size").getAsLong();
                if (size > 0) {
                    String createdBy = entry.get("CreatedBy").getAsString();
                    layers.add(String.format(Locale.ROOT, "%.1f MB %s", size / 1e6,
                            createdBy.contains("COPY dir") ? "COPY dir" : createdBy.contains("COPY file") ? "COPY file"
                            : createdBy.contains("ArchiveClassesAtExit") ? "class archive" : "base"));
                }
            }
            FIGURES.add(workload.image() + ": " + String.join(", ", layers));
        }
        String serverHistory = podman("history", "--format", "{{.Size}} {{.CreatedBy}}", server.image());
        assertTrue(serverHistory.lines().filter(line -> line.contains("COPY")).count() >= 2,
                "the model repository and the jar are separate layers:\n" + serverHistory);
    }

    /**
     * The server image's entrypoint, with -Xshare:on (fail rather than start without the archive):
     * the archive the image's training run made matches its JRE and jar, and the server's own
     * classes come from it.
     */
    @Test
    void theServerImageLoadsItsClassesFromItsClassDataSharingArchive() throws Exception {
        JsonArray entrypoint = JsonParser.parseString(podman("image", "inspect", server.image())).getAsJsonArray()
                .get(0).getAsJsonObject().getAsJsonObject("Config").getAsJsonArray("Entrypoint");
        List<String> command = new ArrayList<>(List.of("run", "--rm", "--network", "host"));
        command.addAll(SANDBOX_LIMITS);
        command.addAll(List.of("--entrypoint", entrypoint.get(0).getAsString(), server.image(),
                "-Xshare:on", "-Xlog:class+load=info"));
        entrypoint.asList().stream().skip(1).map(JsonElement::getAsString).forEach(command::add);
        command.add("--version");
        String output = podman(command.toArray(String[]::new));
        assertTrue(output.contains("dev.inference.server.InferenceServerMain source: shared objects file"),
                String.join(" ", command) + "\n" + output.lines().filter(line -> line.contains("dev.inference"))
                        .findFirst().orElse(output));
    }

    /** Last, as a pod's stop: SIGTERM, a drain, exit 0, within terminationGracePeriodSeconds. */
    @Test
    @Order(Integer.MAX_VALUE)
    void sigtermDrainsAndExitsZeroWithinTheGracePeriod() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Workload workload : List.of(gateway, server)) {
            long start = System.nanoTime();
            podman("kill", "--signal", "TERM", workload.container());
            String exit = podman("wait", workload.container()).strip();
            double seconds = (System.nanoTime() - start) / 1e9;
            FIGURES.add(String.format(Locale.ROOT, "%s: SIGTERM -> exit %s after %.1f s (grace %d s)", workload.container(),
                    exit, seconds, workload.grace().toSeconds()));
            if (!exit.equals("0") || seconds >= workload.grace().toSeconds()) {
                failures.add(workload.container() + " exited " + exit + " after " + seconds + " s");
            }
        }
        assertEquals(List.of(), failures);
    }

    @AfterAll
    static void removeContainers() throws Exception {
        for (Workload workload : new Workload[] {gateway, server}) {
            if (workload != null) {
                podman("rm", "-f", workload.container());
            }
        }
        FIGURES.forEach(figure -> System.out.println("FIGURE " + figure));
    }

    // --- from the manifests to podman ---------------------------------------------------------------

    private static Workload workload(String kind, String name) throws Exception {
        Manifest object = built.stream().filter(candidate -> candidate.kind().equals(kind) && candidate.name().equals(name))
                .findFirst().orElseThrow();
        Map<String, Object> pod = map(map(map(object.object().get("spec")).get("template")).get("spec"));
        Map<String, Object> spec = list(pod.get("containers")).get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> source : list(spec.get("envFrom"))) {
            String configMap = (String) map(source.get("configMapRef")).get("name");
            Manifest data = built.stream().filter(candidate -> candidate.kind().equals("ConfigMap")
                    && candidate.name().equals(configMap)).findFirst().orElseThrow();
            map(data.object().get("data")).forEach((key, value) -> env.put(key, String.valueOf(value)));
        }
        String image = (String) spec.get("image");
        try {
            podman("image", "exists", image);
        } catch (AssertionError missing) {
            throw new AssertionError("no image " + image + " in podman's store: the images profile builds it"
                    + " (mvn -Pimages package), and its tag must be the project version", missing);
        }
        return new Workload(name + "-under-test", image, pod, spec, env);
    }

    /** {@code podman run}, with the pod spec's security context, mounts and environment. */
    private static void run(Workload workload, Map<String, String> overrides, Map<String, Path> hostPaths) throws Exception {
        podman("rm", "-f", workload.container());
        Map<String, Object> security = map(workload.spec().get("securityContext"));
        assertTrue((Boolean) security.get("readOnlyRootFilesystem"));
        assertEquals(List.of("ALL"), map(security.get("capabilities")).get("drop"));
        assertFalse((Boolean) security.get("allowPrivilegeEscalation"));
        Map<String, String> env = new LinkedHashMap<>(workload.env());
        env.putAll(overrides);
        Path envFile = dir.resolve(workload.container() + ".env");
        Files.write(envFile, env.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue()).toList());
        List<String> command = new ArrayList<>(List.of("run", "-d", "--name", workload.container(), "--network", "host",
                "--user", workload.userId() + ":" + workload.groupId(), "--read-only", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--env-file", envFile.toString()));
        command.addAll(SANDBOX_LIMITS);
        for (Map<String, Object> mount : list(workload.spec().get("volumeMounts"))) {
            String path = (String) mount.get("mountPath");
            Map<String, Object> volume = list(workload.pod().get("volumes")).stream()
                    .filter(candidate -> candidate.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
            if (volume.containsKey("emptyDir")) {
                // Kubernetes' 256Mi is tmpfs' 256m.
                String size = String.valueOf(map(volume.get("emptyDir")).get("sizeLimit")).replace("Mi", "m").replace("Gi", "g");
                command.addAll(List.of("--tmpfs", path + ":rw,size=" + size));
            } else {
                Path host = hostPaths.get(path);
                assertTrue(host != null, "no stand-in for the volume at " + path);
                command.addAll(List.of("-v", host + ":" + path + ":ro"));
            }
        }
        command.add(workload.image());
        podman(command.toArray(String[]::new));
    }

    private static List<String> mounts(Workload workload) {
        return list(workload.spec().get("volumeMounts")).stream().map(mount -> (String) mount.get("mountPath")).toList();
    }

    /**
     * Podman raises RLIMIT_NOFILE above what this sandbox lets even root set; keep the host's
     * open-files limit and podman's own process limit. Not needed on a normal host or in Kubernetes.
     */
    private static final List<String> SANDBOX_LIMITS = sandboxLimits();

    private static List<String> sandboxLimits() {
        try {
            Process ulimit = new ProcessBuilder("bash", "-c", "ulimit -Hn").start();
            String openFiles = new String(ulimit.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return List.of("--ulimit", "nofile=" + openFiles + ":" + openFiles, "--ulimit", "nproc=32768:32768");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String podman(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PODMAN.toString()));
        if (Files.isExecutable(RUNC)) {
            // crun, podman's other runtime, cannot set the process limits in this sandbox at all.
            command.addAll(List.of("--runtime", RUNC.toString()));
        }
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("podman " + String.join(" ", args) + " did not finish in 120 s");
        }
        if (process.exitValue() != 0 && !Set.of("rm", "wait").contains(args[0])) {
            throw new AssertionError("podman " + String.join(" ", args) + " exited " + process.exitValue() + ":\n" + output);
        }
        return output;
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static ServingStatus health(int port, String service) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
        } finally {
            channel.shutdownNow();
        }
    }

    private static void awaitServing(int port, String service, Duration budget) throws Exception {
        long deadline = System.nanoTime() + budget.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (health(port, service) == ServingStatus.SERVING) {
                    return;
                }
            } catch (io.grpc.StatusRuntimeException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not SERVING on port " + port + " within " + budget);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }
}
