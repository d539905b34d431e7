package dev.inference.server.registry;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.api.repository.v1.ModelRepositoryServiceGrpc;
import dev.inference.api.repository.v1.RepositoryIndexRequest;
import dev.inference.api.repository.v1.RepositoryIndexResponse;
import dev.inference.api.repository.v1.RepositoryModelLoadRequest;
import dev.inference.api.repository.v1.RepositoryModelUnloadRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.server.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server (Netty, free loopback ports) whose repository changes while calls run: a version
 * folder added, replaced, removed, a broken one dropped in (mode poll); models loaded and unloaded
 * on request over gRPC and HTTP (mode explicit). No call fails, each is answered by a version that
 * served at the time, and the index says what is true at each step.
 */
class RepositoryControlTest {

    private static final Path BUILT = Path.of("target/model-repository/sentiment");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;
    /** Beside the repository, not in it: a folder there would be a model. */
    @TempDir
    Path staging;
    private TestServer server;
    private Traffic traffic;

    @AfterEach
    void stop() throws Exception {
        if (traffic != null) {
            traffic.stop();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void inModePollVersionsComeReplaceAndGoUnderLoadWithoutAFailedCall() throws Exception {
        addVersion("1", "1");
        server = TestServer.start(TestServer.config().modelRepository(root)
                .modelControlMode(RepositoryControl.Mode.POLL).repositoryPoll(Duration.ofSeconds(1)).warmUp(Duration.ZERO));
        traffic = Traffic.start(server, 3);
        traffic.step(Set.of("1"));

        addVersion("2", "2");
        awaitIndex(Map.of("1", "READY", "2", "READY"));
        traffic.step(Set.of("1", "2"));
        await().atMost(STEP_TIMEOUT).until(() -> traffic.answeredBy("2"));

        // A broken folder: reported, and nothing that serves changes.
        Path broken = Files.createDirectories(staging.resolve("3"));
        Files.writeString(broken.resolve("model.onnx"), "not an ONNX graph");
        Files.move(broken, root.resolve("sentiment/3"), StandardCopyOption.ATOMIC_MOVE);
        awaitIndex(Map.of("1", "READY", "2", "READY", "3", "UNAVAILABLE"));
        assertTrue(entry("3").getReason().contains("sentiment/3"), entry("3").getReason());

        // Version 2's folder now holds version 1's files: loaded beside the old copy, then in its place.
        float one = score("1");
        assertTrue(Math.abs(score("2") - one) > 1e-4, "the two versions differ to begin with");
        replaceVersion("2", "1");
        await().atMost(STEP_TIMEOUT).until(() -> Math.abs(score("2") - one) < 1e-6);
        long replacedAt = traffic.calls();
        await().atMost(STEP_TIMEOUT).until(() -> traffic.calls() > replacedAt + 20);
        assertEquals("", entry("2").getReason());

        deleteVersion("1");
        awaitIndex(Map.of("1", "UNAVAILABLE", "2", "READY", "3", "UNAVAILABLE"));
        assertEquals(RepositoryControl.UNLOADED, entry("1").getReason());
        traffic.step(Set.of("2"));
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
                () -> server.blockingStub().predict(TestServer.request("1", "fine")));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        assertEquals(0, server.sample("inference_model_ready{model=\"sentiment\",model_version=\"1\"}"));

        deleteVersion("3");
        awaitIndex(Map.of("1", "UNAVAILABLE", "2", "READY"));
        traffic.stop();
        traffic.assertNoFailureAndOnlyServedVersions();
        System.out.println("FIGURE mode poll under load: " + traffic.calls() + " calls while a version was added,"
                + " replaced and removed and a broken folder came and went, " + traffic.failures().size() + " failed");
    }

    @Test
    void inModeExplicitModelsLoadAndUnloadOnRequestOverGrpcAndHttp() throws Exception {
        addVersion("1", "1");
        addVersion("2", "2");
        server = TestServer.start(TestServer.config().modelRepository(root)
                .modelControlMode(RepositoryControl.Mode.EXPLICIT).loadModels(List.of("sentiment")).warmUp(Duration.ZERO));
        traffic = Traffic.start(server, 2);
        traffic.step(Set.of("2"));
        var repository = ModelRepositoryServiceGrpc.newBlockingStub(server.channel).withDeadlineAfter(60, TimeUnit.SECONDS);

        // A policy naming version 1 only: a load applies it, version 2 retires under load.
        Files.writeString(root.resolve("sentiment/serving.json"), "{\"versionPolicy\": {\"specific\": [\"1\"]}}");
        repository.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("sentiment").build());
        assertEquals(Map.of("1", "READY", "2", "UNAVAILABLE"), states());
        traffic.step(Set.of("1"));
        await().atMost(STEP_TIMEOUT).until(() -> traffic.answeredBy("1"));
        traffic.stop();
        traffic.assertNoFailureAndOnlyServedVersions();

        HttpResponse<String> unload = post("/v2/repository/models/sentiment/unload", "");
        assertEquals(200, unload.statusCode(), unload.body());
        StatusRuntimeException unloaded = assertThrows(StatusRuntimeException.class,
                () -> server.blockingStub().predict(TestServer.request("", "fine")));
        assertEquals(Status.Code.NOT_FOUND, unloaded.getStatus().getCode());
        JsonArray index = JsonParser.parseString(post("/v2/repository/index", "{}").body()).getAsJsonArray();
        JsonObject first = index.get(0).getAsJsonObject();
        assertEquals("sentiment", first.get("name").getAsString());
        assertEquals("UNAVAILABLE", first.get("state").getAsString());
        assertEquals("unloaded", first.get("reason").getAsString());
        assertEquals("[]", post("/v2/repository/index", "{\"ready\": true}").body());

        assertEquals(200, post("/v2/repository/models/sentiment/load", "").statusCode());
        PredictResponse served = server.blockingStub().predict(TestServer.request("", "a fine film"));
        assertEquals("1", served.getModelVersion());

        // What a client gets wrong: each a precise answer, and the server serves on.
        HttpResponse<String> unknown = post("/v2/repository/models/nope/load", "");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("has no model \\\"nope\\\""), unknown.body());
        assertEquals(404, post("/v2/repository/models/..%2F..%2Fetc/load", "").statusCode());
        assertEquals(400, post("/v2/repository/index", "[1,").statusCode());
        assertEquals(404, post("/v2/repository/nothing", "").statusCode());
        HttpResponse<String> get = server.management("/v2/repository/index");
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("allow").orElseThrow());
        assertEquals("{\"error\":\"GET is not allowed on /v2/repository/index\"}", get.body());
        HttpResponse<String> nothing = post("/v2/repository/nothing", "");
        assertTrue(nothing.body().startsWith("{\"error\":\"no route /v2/repository/nothing"), nothing.body());
        StatusRuntimeException notLoaded = assertThrows(StatusRuntimeException.class, () -> repository
                .repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, notLoaded.getStatus().getCode());
        assertEquals("1", server.blockingStub().predict(TestServer.request("", "still serving")).getModelVersion());
    }

    @Test
    void aFolderThatFailsToLoadOnRequestLeavesWhatServesServing() throws Exception {
        addVersion("1", "1");
        server = TestServer.start(TestServer.config().modelRepository(root)
                .modelControlMode(RepositoryControl.Mode.EXPLICIT).loadModels(List.of("sentiment")).warmUp(Duration.ZERO));
        Files.delete(root.resolve("sentiment/1/tokenizer.json"));
        Files.writeString(root.resolve("sentiment/1/head.json"), "{}");
        HttpResponse<String> load = post("/v2/repository/models/sentiment/load", "");
        assertEquals(400, load.statusCode());
        assertTrue(load.body().contains("incomplete"), load.body());
        RepositoryIndexResponse.ModelIndex version = entry("1");
        assertEquals("READY", version.getState());
        assertTrue(version.getReason().startsWith("serving the files loaded before"), version.getReason());
        assertEquals("1", server.blockingStub().predict(TestServer.request("", "still fine")).getModelVersion());
    }

    @Test
    void modeNoneRefusesChangesAndStillIndexes() throws Exception {
        addVersion("1", "1");
        server = TestServer.start(TestServer.config().modelRepository(root).warmUp(Duration.ZERO));
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ModelRepositoryServiceGrpc
                .newBlockingStub(server.channel).repositoryModelUnload(
                        RepositoryModelUnloadRequest.newBuilder().setModelName("sentiment").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("--model-control-mode none"),
                refused.getStatus().getDescription());
        assertEquals(400, post("/v2/repository/models/sentiment/load", "").statusCode());
        assertEquals(Map.of("1", "READY"), states());
    }

    // --- the repository -------------------------------------------------------------------------

    /** Copies a built version's files in under {@code version}, all at once (a rename), as a model author should. */
    private void addVersion(String version, String builtVersion) throws IOException {
        Path copied = staging.resolve(version + "-" + System.nanoTime());
        copy(BUILT.resolve(builtVersion), copied);
        Files.createDirectories(root.resolve("sentiment"));
        Files.move(copied, root.resolve("sentiment").resolve(version), StandardCopyOption.ATOMIC_MOVE);
    }

    private void replaceVersion(String version, String builtVersion) throws IOException {
        Path old = staging.resolve("old-" + version);
        Files.move(root.resolve("sentiment").resolve(version), old, StandardCopyOption.ATOMIC_MOVE);
        addVersion(version, builtVersion);
    }

    private void deleteVersion(String version) throws IOException {
        Path gone = staging.resolve("deleted-" + version);
        Files.move(root.resolve("sentiment").resolve(version), gone, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    private float score(String version) {
        return server.blockingStub().predict(TestServer.request(version, "a warm and funny film"))
                .getPredictions(0).getScore();
    }

    // --- the index ------------------------------------------------------------------------------

    private Map<String, String> states() {
        RepositoryIndexResponse index = ModelRepositoryServiceGrpc.newBlockingStub(server.channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
        return index.getModelsList().stream().filter(model -> model.getName().equals("sentiment"))
                .collect(Collectors.toMap(RepositoryIndexResponse.ModelIndex::getVersion,
                        RepositoryIndexResponse.ModelIndex::getState, (a, b) -> a, TreeMap::new));
    }

    private RepositoryIndexResponse.ModelIndex entry(String version) {
        return ModelRepositoryServiceGrpc.newBlockingStub(server.channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList().stream()
                .filter(model -> model.getVersion().equals(version)).findFirst().orElseThrow();
    }

    private void awaitIndex(Map<String, String> expected) {
        await().atMost(STEP_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> states().equals(expected));
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.server.managementPort() + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Calls without a version, back to back from a few threads; each remembers when it ran and which
     * version answered, so that it can be checked against the versions that served then.
     */
    static final class Traffic {
        record Call(long start, long end, String version) {}

        record Step(long at, Set<String> versions) {}

        private final List<Thread> threads = new ArrayList<>();
        private final List<Call> calls = new CopyOnWriteArrayList<>();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final List<Step> steps = new CopyOnWriteArrayList<>();
        private final Set<String> answered = ConcurrentHashMap.newKeySet();
        private volatile boolean running = true;

        static Traffic start(TestServer server, int concurrency) {
            Traffic traffic = new Traffic();
            for (int i = 0; i < concurrency; i++) {
                Thread thread = new Thread(() -> {
                    while (traffic.running) {
                        long start = System.nanoTime();
                        try {
                            PredictResponse response = server.blockingStub().predict(
                                    TestServer.request("", "a warm and funny film", "dull, far too long"));
                            traffic.calls.add(new Call(start, System.nanoTime(), response.getModelVersion()));
                            traffic.answered.add(response.getModelVersion());
                        } catch (StatusRuntimeException e) {
                            traffic.failures.add(e.getStatus().toString());
                        }
                    }
                }, "traffic-" + i);
                thread.start();
                traffic.threads.add(thread);
            }
            return traffic;
        }

        /** From now on, these versions may answer (and, until the next step, those of the step before). */
        void step(Set<String> versions) {
            steps.add(new Step(System.nanoTime(), versions));
        }

        boolean answeredBy(String version) {
            return answered.contains(version);
        }

        long calls() {
            return calls.size();
        }

        List<String> failures() {
            return failures;
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread thread : threads) {
                thread.join(30_000);
            }
        }

        /**
         * A change happens before the test sees it, so a call may be answered by the versions of the
         * step in force when it started, of any step during it, or of the next one.
         */
        void assertNoFailureAndOnlyServedVersions() {
            assertEquals(List.of(), failures, "failed calls");
            assertTrue(calls.size() > 0, "no call was answered");
            List<String> wrong = new ArrayList<>();
            for (Call call : calls) {
                Set<String> allowed = new java.util.HashSet<>();
                for (int i = 0; i < steps.size(); i++) {
                    Step step = steps.get(i);
                    boolean inForceAtStart = step.at() <= call.start() && (i + 1 == steps.size() || steps.get(i + 1).at() > call.start());
                    boolean during = step.at() > call.start() && step.at() <= call.end();
                    boolean next = step.at() > call.end() && (i == 0 || steps.get(i - 1).at() <= call.end());
                    if (inForceAtStart || during || next) {
                        allowed.addAll(step.versions());
                    }
                }
                if (!allowed.contains(call.version())) {
                    wrong.add(call + " allowed " + allowed);
                }
            }
            assertEquals(List.of(), wrong.subList(0, Math.min(5, wrong.size())), wrong.size() + " calls answered by a version that did not serve");
        }
    }
}
