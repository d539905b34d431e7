package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inference.rollouts.Manifests.Manifest;
import dev.inference.server.FreePorts;
import dev.inference.server.Required;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
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
import org.awaitility.Awaitility;
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
 * free ones and the bind address to loopback; nothing else is changed. The model images that the
 * Rollout's image volumes name go through a real OCI registry on loopback (pushed, then pulled by
 * digest) and are mounted as the kubelet mounts an image volume: read-only, at the volume's path.
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
    private static OciRegistry registry;
    /** Each image volume's reference in the manifests, and the image pulled by digest from the registry. */
    private static final Map<String, String> MODEL_IMAGES = new LinkedHashMap<>();

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
        Required.that(Files.isExecutable(OciRegistry.BINARY), "the distribution registry is not installed (.ci/run installs docker-registry)");
        built = Manifests.built();
        server = workload("Rollout", "inference-server");
        gateway = workload("Deployment", "frontend-gateway");
        registry = OciRegistry.start(Files.createDirectories(dir.resolve("registry")));
        for (Map<String, Object> volume : list(server.pod().get("volumes"))) {
            if (volume.containsKey("image")) {
                String reference = (String) map(volume.get("image")).get("reference");
                MODEL_IMAGES.put(reference, throughTheRegistry(reference));
            }
        }
        assertFalse(MODEL_IMAGES.isEmpty(), "the Rollout mounts its models as image volumes");
        serverPort = FreePorts.next();
        serverManagementPort = FreePorts.next();
        gatewayPort = FreePorts.next();
        gatewayManagementPort = FreePorts.next();

        Path podinfo = Files.createDirectories(dir.resolve("podinfo"));
        Files.writeString(podinfo.resolve("labels"), "app.kubernetes.io/name=\"inference-server\"\n"
                + "rollouts-pod-template-hash=\"c0ntainer\"\ntrack=\"stable\"\n");
        long start = System.nanoTime();
        run(server, Map.of("INFERENCE_HOST", "127.0.0.1", "INFERENCE_PORT", String.valueOf(serverPort),
                "INFERENCE_MANAGEMENT_PORT", String.valueOf(serverManagementPort)), Map.of("/etc/podinfo", podinfo), MODEL_IMAGES);
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
                        .replaceFirst("/[^/]+$", ""), apiKeys), Map.of());
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
            ArrayNode instances = JSON.createArrayNode();
            List<String[]> chunk = labelled.subList(from, Math.min(labelled.size(), from + 32));
            chunk.forEach(example -> instances.add(example[1]));
            ObjectNode body = JSON.createObjectNode();
            body.set("instances", instances);
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + gatewayPort + "/v1/models/sentiment:predict"))
                    .header("content-type", "application/json").header("x-api-key", API_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            track = response.headers().firstValue("x-model-track").orElse(null);
            JsonNode predictions = JSON.readTree(response.body()).get("predictions");
            for (int i = 0; i < chunk.size(); i++) {
                if (predictions.get(i).get("label").asText().equals(chunk.get(i)[0])) {
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

    /** No build tools, no models, a numeric user, OCI labels. */
    @Test
    void imagesAreLeanNonRootAndLabelled() throws Exception {
        for (Workload workload : List.of(server, gateway)) {
            JsonNode config = inspect(workload.image()).get("Config");
            assertEquals("10001:10001", config.get("User").asText());
            JsonNode labels = config.get("Labels");
            assertEquals(workload.image().substring(workload.image().lastIndexOf(':') + 1),
                    labels.get("org.opencontainers.image.version").asText(), "the tag is the version built");
            assertFalse(labels.get("org.opencontainers.image.revision").asText().isBlank());
            assertTrue(labels.has("org.opencontainers.image.source"));
            List<String> probe = new ArrayList<>(List.of("run", "--rm", "--network", "host"));
            probe.addAll(SANDBOX_LIMITS);
            probe.addAll(List.of("--entrypoint", "sh", workload.image(), "-c",
                    "for tool in mvn javac gcc git; do command -v $tool; done; ls /opt/*/ | grep -c '\\.java$' || true"));
            String tools = podman(probe.toArray(String[]::new));
            assertEquals("0", tools.strip(), workload.image() + " carries build tools or sources: " + tools);
            List<String> layers = new ArrayList<>();
            for (JsonNode entry : JSON.readTree(podman("history", "--format", "json", workload.image()))) {
                long size = entry.get("size").asLong();
                if (size > 0) {
                    String createdBy = entry.get("CreatedBy").asText();
                    layers.add(String.format(Locale.ROOT, "%.1f MB %s", size / 1e6,
                            createdBy.contains("COPY dir") ? "COPY dir" : createdBy.contains("COPY file") ? "COPY file"
                            : createdBy.contains("ArchiveClassesAtExit") ? "class archive" : "base"));
                }
            }
            FIGURES.add(workload.image() + ": " + String.join(", ", layers));
        }
        List<String> probe = new ArrayList<>(List.of("run", "--rm", "--network", "host"));
        probe.addAll(SANDBOX_LIMITS);
        probe.addAll(List.of("--entrypoint", "sh", server.image(), "-c", "find / -xdev -name '*.onnx' 2>/dev/null | wc -l"));
        assertEquals("0", podman(probe.toArray(String[]::new)).strip(), "the server image carries no model: they are images of their own");
    }

    /**
     * Each model image is its version folder alone, FROM scratch: one layer, the folder's files at
     * its root with their digests, and labels that name the model, the version and the files.
     */
    @Test
    void modelImagesHoldOneVersionFolderAndSayWhatItIs() throws Exception {
        for (Map<String, Object> mount : list(server.spec().get("volumeMounts"))) {
            String reference = imageReference(server, mount);
            if (reference == null) {
                continue;
            }
            assertTrue(Boolean.TRUE.equals(mount.get("readOnly")), mount.get("name") + " is mounted read-only");
            String[] folder = ((String) mount.get("mountPath")).split("/");
            JsonNode image = inspect(MODEL_IMAGES.get(reference));
            JsonNode labels = image.get("Config").get("Labels");
            assertEquals(folder[folder.length - 2], labels.get("dev.inference.model.name").asText(), reference);
            assertEquals(folder[folder.length - 1], labels.get("dev.inference.model.version").asText(), reference);
            assertTrue(List.of(labels.get("dev.inference.model.files").asText().split("; ")).stream()
                    .anyMatch(file -> file.matches("[0-9a-f]{64}  model\\.onnx")),
                    reference + " lists its files' digests: " + labels.get("dev.inference.model.files"));
            assertEquals(folder[folder.length - 2], labels.get("org.opencontainers.image.title").asText());
            assertEquals(folder[folder.length - 1], labels.get("org.opencontainers.image.version").asText());
            assertEquals(1, image.get("RootFS").get("Layers").size(), reference + " is one layer");
            FIGURES.add(String.format(Locale.ROOT, "%s: %.1f MB, one layer, pushed and pulled by digest as %s", reference,
                    image.get("Size").asLong() / 1e6, MODEL_IMAGES.get(reference)));
        }
    }

    /**
     * A model image changed after it was built (a file replaced in a layer on top, so the digests in
     * its labels and its list no longer match) stops the server at start with one line that names
     * the file; the pod would never become ready, and the Rollout's progress deadline aborts it.
     */
    @Test
    void aModelImageWhoseFilesChangedIsRefusedAtStartInOneLine() throws Exception {
        String reference = MODEL_IMAGES.keySet().iterator().next();
        JsonNode labels = inspect(MODEL_IMAGES.get(reference)).get("Config").get("Labels");
        String file = labels.get("dev.inference.model.files").asText().split("; ")[0].split("  ", 2)[1];
        Path context = Files.createDirectories(dir.resolve("tampered"));
        Files.writeString(context.resolve("replacement"), "not what was built\n");
        Files.writeString(context.resolve("Containerfile"), "FROM " + MODEL_IMAGES.get(reference) + "\nCOPY replacement /" + file + "\n");
        String tampered = "localhost/tampered-model:" + serverPort;
        podman("build", "-q", "-t", tampered, context.toString());
        Map<String, String> images = new LinkedHashMap<>(MODEL_IMAGES);
        images.put(reference, tampered);
        Workload refused = new Workload("inference-server-tampered", server.image(), server.pod(), server.spec(), server.env());
        try {
            run(refused, Map.of("INFERENCE_HOST", "127.0.0.1", "INFERENCE_PORT", String.valueOf(FreePorts.next()),
                    "INFERENCE_MANAGEMENT_PORT", String.valueOf(FreePorts.next())), Map.of("/etc/podinfo", dir.resolve("podinfo")), images);
            String exit = podman("wait", refused.container()).strip();
            String log = podman("logs", refused.container());
            assertEquals("1", exit, log);
            List<String> errors = log.lines().filter(line -> line.contains("cannot start")).toList();
            assertEquals(1, errors.size(), log);
            assertTrue(errors.get(0).contains(file + " has SHA-256"), errors.get(0));
            assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
            FIGURES.add("a tampered " + reference + ": " + errors.get(0).replaceFirst("^.*cannot start", "cannot start"));
        } finally {
            podman("rm", "-f", refused.container());
            podman("rmi", "-f", tampered);
        }
    }

    /**
     * The server image's entrypoint, with -Xshare:on (fail rather than start without the archive):
     * the archive the image's training run made matches its JRE and jar, and the server's own
     * classes come from it.
     */
    @Test
    void theServerImageLoadsItsClassesFromItsClassDataSharingArchive() throws Exception {
        JsonNode entrypoint = inspect(server.image()).get("Config").get("Entrypoint");
        List<String> command = new ArrayList<>(List.of("run", "--rm", "--network", "host"));
        command.addAll(SANDBOX_LIMITS);
        command.addAll(List.of("--entrypoint", entrypoint.get(0).asText(), server.image(),
                "-Xshare:on", "-Xlog:class+load=info"));
        for (int i = 1; i < entrypoint.size(); i++) {
            command.add(entrypoint.get(i).asText());
        }
        command.add("--version");
        String output = podman(command.toArray(String[]::new));
        assertTrue(output.contains("dev.inference.server.InferenceServerMain source: shared objects file"),
                String.join(" ", command) + "\n" + output.lines().filter(line -> line.contains("dev.inference"))
                        .findFirst().orElse(output));
    }

    /**
     * Where image volumes are not available, rollouts/model-copy makes each model volume an
     * emptyDir that init containers fill from the model images: the same images, through the same
     * registry, give the server the same repository, every version READY.
     */
    @Test
    void theModelCopyComponentFillsTheSameRepositoryWithoutImageVolumes() throws Exception {
        Manifest rollout = Manifests.builtWith(Files.createDirectories(dir.resolve("with-model-copy")),
                        Manifests.withComponent("rollouts/model-copy"))
                .stream().filter(object -> object.kind().equals("Rollout")).findFirst().orElseThrow();
        Map<String, Object> pod = map(map(map(rollout.object().get("spec")).get("template")).get("spec"));
        Map<String, Object> container = list(pod.get("containers")).get(0);
        assertEquals(server.spec().get("volumeMounts"), container.get("volumeMounts"), "the server's mounts do not change");
        Map<String, Path> emptyDirs = new LinkedHashMap<>();
        for (Map<String, Object> volume : list(pod.get("volumes"))) {
            assertFalse(volume.containsKey("image"), "no image volume is left: " + volume);
            if (volume.containsKey("emptyDir")) {
                Path host = Files.createDirectories(dir.resolve("model-copy").resolve((String) volume.get("name")));
                // What fsGroup does for a pod's emptyDir: its user may write it.
                Files.setPosixFilePermissions(host, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
                emptyDirs.put((String) volume.get("name"), host);
            }
        }
        List<String> copied = new ArrayList<>();
        for (Map<String, Object> init : list(pod.get("initContainers"))) {
            copied.add(init.get("name") + ": " + runToCompletion(pod, init, emptyDirs).strip());
        }
        Map<String, Path> hostPaths = new LinkedHashMap<>(Map.of("/etc/podinfo", dir.resolve("podinfo")));
        for (Map<String, Object> mount : list(container.get("volumeMounts"))) {
            String reference = imageReference(server, mount);
            if (reference != null) {
                Path folder = emptyDirs.get((String) mount.get("name"));
                assertTrue(Files.isRegularFile(folder.resolve("model-files.sha256")), mount.get("name") + " was filled: " + copied);
                hostPaths.put((String) mount.get("mountPath"), folder);
            }
        }
        Workload copiedModels = new Workload("inference-server-model-copy", server.image(), pod, container, server.env());
        int port = FreePorts.next();
        int management = FreePorts.next();
        try {
            run(copiedModels, Map.of("INFERENCE_HOST", "127.0.0.1", "INFERENCE_PORT", String.valueOf(port),
                    "INFERENCE_MANAGEMENT_PORT", String.valueOf(management)), hostPaths, Map.of());
            awaitServing(port, "", server.startupBudget());
            String index = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/v2/repository/index"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).body();
            long ready = 0;
            for (JsonNode entry : JSON.readTree(index)) {
                if (entry.has("version") && entry.get("state").asText().equals("READY")) {
                    ready++;
                }
            }
            assertEquals(MODEL_IMAGES.size(), ready, index);
            FIGURES.add("model-copy component: " + copied.size() + " init containers, then " + ready + " versions READY: " + copied);
        } finally {
            podman("rm", "-f", copiedModels.container());
        }
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
        for (String pulled : MODEL_IMAGES.values()) {
            podman("rmi", pulled);
        }
        if (registry != null) {
            registry.close();
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

    /**
     * The image pushed to the registry under its own path and pulled back by the digest the push
     * reported: what a node does with a reference pinned by digest.
     */
    private static String throughTheRegistry(String reference) throws Exception {
        String repository = reference.substring(reference.indexOf('/') + 1, reference.lastIndexOf(':'));
        Path digestFile = dir.resolve("digest");
        podman("push", "-q", "--tls-verify=false", "--digestfile", digestFile.toString(), reference,
                registry.address() + "/" + repository + ":" + reference.substring(reference.lastIndexOf(':') + 1));
        String digest = Files.readString(digestFile).strip();
        assertEquals(200, registry.status("/v2/" + repository + "/manifests/" + digest), "the registry holds " + digest);
        String pinned = registry.address() + "/" + repository + "@" + digest;
        podman("pull", "-q", "--tls-verify=false", pinned);
        return pinned;
    }

    /** The reference of the image volume a mount mounts, or null for another kind of volume. */
    private static String imageReference(Workload workload, Map<String, Object> mount) {
        Map<String, Object> volume = list(workload.pod().get("volumes")).stream()
                .filter(candidate -> candidate.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
        return volume.containsKey("image") ? (String) map(volume.get("image")).get("reference") : null;
    }

    /**
     * {@code podman run}, with the pod spec's security context, mounts and environment; an image
     * volume is the local image its reference maps to in {@code images}, mounted read-only as the
     * kubelet mounts one.
     */
    private static void run(Workload workload, Map<String, String> overrides, Map<String, Path> hostPaths,
            Map<String, String> images) throws Exception {
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
            command.addAll(mount(path, Boolean.TRUE.equals(mount.get("readOnly")), volume, hostPaths, images));
        }
        command.add(workload.image());
        podman(command.toArray(String[]::new));
    }

    /**
     * A volume as podman mounts it: a host folder where the test gives one for the path (a volume
     * that outlives one container, as an emptyDir outlives the pod's init containers), else an image
     * volume as the image, an emptyDir as a tmpfs of its size limit.
     */
    private static List<String> mount(String path, boolean readOnly, Map<String, Object> volume, Map<String, Path> hostPaths,
            Map<String, String> images) {
        Path host = hostPaths.get(path);
        if (host != null) {
            return List.of("-v", host + ":" + path + (readOnly ? ":ro" : ""));
        }
        if (volume.containsKey("image")) {
            String image = images.get((String) map(volume.get("image")).get("reference"));
            assertTrue(image != null, "no image for the volume at " + path);
            return List.of("--mount", "type=image,source=" + image + ",destination=" + path);
        }
        assertTrue(volume.containsKey("emptyDir"), "no stand-in for the volume at " + path);
        // Kubernetes' 256Mi is tmpfs' 256m.
        String size = String.valueOf(map(volume.get("emptyDir")).get("sizeLimit")).replace("Mi", "m").replace("Gi", "g");
        return List.of("--tmpfs", path + ":rw,size=" + size);
    }

    /**
     * An init container of the pod, run to completion as the kubelet runs one: its image, command,
     * security context and mounts, the pod's user. Its emptyDirs are host folders that the next
     * containers share.
     */
    private static String runToCompletion(Map<String, Object> pod, Map<String, Object> container, Map<String, Path> emptyDirs)
            throws Exception {
        Map<String, Object> security = map(container.get("securityContext"));
        assertTrue((Boolean) security.get("readOnlyRootFilesystem"), container.get("name") + "");
        assertEquals(List.of("ALL"), map(security.get("capabilities")).get("drop"));
        Map<String, Object> podSecurity = map(pod.get("securityContext"));
        List<String> command = new ArrayList<>(List.of("run", "--rm", "--network", "none",
                "--user", podSecurity.get("runAsUser") + ":" + podSecurity.get("runAsGroup"), "--read-only", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges"));
        command.addAll(SANDBOX_LIMITS);
        for (Map<String, Object> mount : list(container.get("volumeMounts"))) {
            Path host = emptyDirs.get((String) mount.get("name"));
            assertTrue(host != null, "no emptyDir " + mount.get("name"));
            command.addAll(List.of("-v", host + ":" + mount.get("mountPath") + (Boolean.TRUE.equals(mount.get("readOnly")) ? ":ro" : "")));
        }
        List<String> entrypoint = ((List<?>) container.get("command")).stream().map(String::valueOf).toList();
        String image = (String) container.get("image");
        command.addAll(List.of("--entrypoint", entrypoint.get(0), MODEL_IMAGES.getOrDefault(image, image)));
        command.addAll(entrypoint.subList(1, entrypoint.size()));
        return podman(command.toArray(String[]::new));
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
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@code podman image inspect} says of one image. */
    private static JsonNode inspect(String image) throws Exception {
        return JSON.readTree(podman("image", "inspect", image)).get(0);
    }

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

    private static void awaitServing(int port, String service, Duration budget) {
        Awaitility.await("SERVING on port " + port).atMost(budget).pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(io.grpc.StatusRuntimeException.class)
                .until(() -> health(port, service) == ServingStatus.SERVING);
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
