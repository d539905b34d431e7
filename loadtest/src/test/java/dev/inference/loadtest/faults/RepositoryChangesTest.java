package dev.inference.loadtest.faults;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.bench.Scrape;
import dev.inference.loadtest.bench.ServerProcess;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.stats.RunResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server process's model repository changes while the load generator calls it: versions added,
 * replaced and removed and a broken folder dropped in (mode poll), models loaded and unloaded on
 * request (mode explicit). No call may fail, and the index must say what is true after each step.
 * Ten load/unload cycles of an 87 MB model must give its memory back (docs/faults.md).
 */
class RepositoryChangesTest {

    private static final Path SERVER_JAR = Path.of(System.getProperty("inference.serverJar"));
    private static final Path BUILT = Path.of(System.getProperty("inference.modelRepository"));
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final long WEIGHTS_BYTES = 87L << 20;

    @TempDir
    Path root;
    @TempDir
    Path staging;
    @TempDir
    Path logs;
    private final List<AutoCloseable> open = new ArrayList<>();

    @Test
    void inModePollAVersionIsAddedReplacedAndRemovedAndABrokenFolderComesAndGoesWithoutAFailedCall() throws Exception {
        add("sentiment", "1", "1");
        ServerProcess server = server("poll", "--model-control-mode", "poll", "--repository-poll-seconds", "1");
        Load load = Load.start(server, Duration.ofSeconds(40));

        add("sentiment", "2", "2");
        awaitIndex(server, Map.of("sentiment/1", "READY", "sentiment/2", "READY"));
        Path broken = Files.createDirectories(staging.resolve("broken"));
        Files.writeString(broken.resolve("model.onnx"), "not an ONNX graph");
        Files.move(broken, root.resolve("sentiment/3"), StandardCopyOption.ATOMIC_MOVE);
        awaitIndex(server, Map.of("sentiment/1", "READY", "sentiment/2", "READY", "sentiment/3", "UNAVAILABLE"));
        Files.move(root.resolve("sentiment/2"), staging.resolve("old-2"), StandardCopyOption.ATOMIC_MOVE);
        add("sentiment", "2", "1");
        awaitLog("replaced sentiment/2");
        awaitIndex(server, Map.of("sentiment/1", "READY", "sentiment/2", "READY", "sentiment/3", "UNAVAILABLE"));
        Files.move(root.resolve("sentiment/1"), staging.resolve("old-1"), StandardCopyOption.ATOMIC_MOVE);
        awaitIndex(server, Map.of("sentiment/1", "UNAVAILABLE", "sentiment/2", "READY", "sentiment/3", "UNAVAILABLE"));
        Files.move(root.resolve("sentiment/3"), staging.resolve("old-3"), StandardCopyOption.ATOMIC_MOVE);
        awaitIndex(server, Map.of("sentiment/1", "UNAVAILABLE", "sentiment/2", "READY"));
        assertTrue(load.running(), "every change happened under load");

        RunResult result = load.result();
        assertEquals(0, result.errors(), "failed calls: " + result.outcomes());
        assertTrue(result.calls() > 100, result.calls() + " calls");
        System.out.printf(Locale.ROOT, "FIGURE mode poll, load generator at concurrency 4 for %.0f s: %d calls while a"
                + " version was added, replaced and removed and a broken folder came and went, %d failed%n",
                result.seconds(), result.calls(), result.errors());
    }

    @Test
    void inModeExplicitTenLoadAndUnloadCyclesUnderLoadFailNoCallAndGiveTheMemoryBack() throws Exception {
        add("sentiment", "1", "1");
        add("sentiment", "2", "2");
        copy(BUILT.resolve("all-minilm-l6-v2/1"), Files.createDirectories(root.resolve("all-minilm-l6-v2")).resolve("1"));
        ServerProcess server = server("explicit", "--model-control-mode", "explicit", "--load-model", "sentiment");
        Load load = Load.start(server, Duration.ofSeconds(90));

        // The policy changes to version 1 alone: the load retires version 2 under load.
        Files.writeString(root.resolve("sentiment/serving.json"), "{\"versionPolicy\": {\"specific\": [\"1\"]}}");
        assertEquals(200, post(server, "/v2/repository/models/sentiment/load").statusCode());
        assertEquals(Map.of("sentiment/1", "READY", "sentiment/2", "UNAVAILABLE", "all-minilm-l6-v2", ""), index(server));

        long wholeBefore = server.residentBytes();
        long before = outsideHeap(server);
        List<Long> afterUnload = new ArrayList<>();
        for (int cycle = 0; cycle < 10; cycle++) {
            HttpResponse<String> loaded = post(server, "/v2/repository/models/all-minilm-l6-v2/load");
            assertEquals(200, loaded.statusCode(), loaded.body());
            assertEquals("READY", index(server).get("all-minilm-l6-v2/1"));
            assertEquals(200, post(server, "/v2/repository/models/all-minilm-l6-v2/unload").statusCode());
            assertEquals("UNAVAILABLE", index(server).get("all-minilm-l6-v2/1"));
            afterUnload.add(outsideHeap(server));
        }
        assertTrue(load.running(), "every change happened under load");
        RunResult result = load.result();
        assertEquals(0, result.errors(), "failed calls: " + result.outcomes());

        long first = afterUnload.get(0);
        long fifth = afterUnload.get(4);
        long last = afterUnload.get(afterUnload.size() - 1);
        String figure = String.format(Locale.ROOT, "RSS outside the Java heap %d MB before, after load/unload"
                + " cycles 1, 5 and 10 of all-minilm-l6-v2 (87 MB of weights) %d, %d and %d MB; the whole RSS %d"
                + " MB before, %d MB at the end (%d calls under load, %d failed)", before >> 20, first >> 20,
                fifth >> 20, last >> 20, wholeBefore >> 20, server.residentBytes() >> 20, result.calls(), result.errors());
        System.out.println("FIGURE " + figure);
        // The allocator settles in the first cycles; a session kept from each of the last five would
        // hold five more copies of the weights.
        assertTrue(last - fifth < WEIGHTS_BYTES, figure);
    }

    // --- the server and its load ----------------------------------------------------------------

    private ServerProcess server(String name, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--model-repository", root.toString(), "--warm-up-ms", "0"));
        args.addAll(List.of(flags));
        ServerProcess server = ServerProcess.inferenceServer(SERVER_JAR, logs.resolve(name + ".log"),
                args.toArray(String[]::new));
        open.add(server);
        return server;
    }

    /** The load generator, unversioned Predict calls at concurrency 4, in the background. */
    record Load(CompletableFuture<RunResult> run, long endNanos) {

        static Load start(ServerProcess server, Duration duration) {
            GrpcPredictClient client = new GrpcPredictClient("127.0.0.1:" + server.port, "sentiment", "", Map.of(), 10_000);
            LoadRun run = new LoadRun(client, new ClosedLoop(4, NanoClock.SYSTEM), Corpus.builtIn(), 2);
            long end = System.nanoTime() + duration.toNanos();
            return new Load(CompletableFuture.supplyAsync(() -> {
                try (client) {
                    return run.run("repository changes", Duration.ZERO, duration,
                            new PrintStream(new ByteArrayOutputStream()));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }), end);
        }

        boolean running() {
            return System.nanoTime() < endNanos;
        }

        RunResult result() throws Exception {
            return run.get();
        }
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    // --- the repository and its index ---------------------------------------------------------

    /** A built version's files under {@code model/version}, renamed into place at once. */
    private void add(String model, String version, String builtVersion) throws IOException {
        Path copied = staging.resolve(model + "-" + version + "-" + System.nanoTime());
        copy(BUILT.resolve(model).resolve(builtVersion), copied);
        Files.createDirectories(root.resolve(model));
        Files.move(copied, root.resolve(model).resolve(version), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.sorted().toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    /**
     * The resident memory outside the Java heap's committed part: the weights live outside it, while
     * G1 grows and shrinks the heap under load by tens of megabytes, which is not what the test asks
     * about (taken whole, the RSS once grew by 88 MB from cycle 5 to 10 in a CI run, by 9 MB alone).
     */
    private static long outsideHeap(ServerProcess server) throws IOException, InterruptedException {
        double heap = Scrape.of(server.healthPort).with("area=\"heap\"").sum("jvm_memory_committed_bytes");
        return server.residentBytes() - (long) heap;
    }

    /** {@code model/version} to state; a model never loaded as {@code model} to "". */
    private static Map<String, String> index(ServerProcess server) throws IOException, InterruptedException {
        HttpResponse<String> response = post(server, "/v2/repository/index");
        assertEquals(200, response.statusCode(), response.body());
        Map<String, String> states = new TreeMap<>();
        for (JsonElement element : JsonParser.parseString(response.body()).getAsJsonArray()) {
            JsonObject model = element.getAsJsonObject();
            states.put(model.get("name").getAsString() + (model.has("version") ? "/" + model.get("version").getAsString() : ""),
                    model.has("state") ? model.get("state").getAsString() : "");
        }
        return states;
    }

    private static void awaitIndex(ServerProcess server, Map<String, String> expected) {
        await().atMost(STEP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertEquals(new TreeMap<>(expected), index(server)));
    }

    private void awaitLog(String line) {
        await("the server logs \"" + line + "\"").atMost(STEP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.readString(logs.resolve("poll.log")).contains(line));
    }

    private static HttpResponse<String> post(ServerProcess server, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.healthPort + path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
