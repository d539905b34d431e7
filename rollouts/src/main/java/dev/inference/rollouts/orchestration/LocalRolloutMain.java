package dev.inference.rollouts.orchestration;

import dev.inference.platform.ManifestVersion;
import dev.inference.rollouts.analysis.AnalysisRunner;
import dev.inference.rollouts.analysis.AnalysisTemplate;
import dev.inference.rollouts.analysis.PrometheusQuery;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the Rollout's canary steps against the local platform (run-local.sh): the gateway's canary
 * weight for the VirtualService, SIGTERM to the canary server for scaling it to zero, the real
 * AnalysisTemplates against a local Prometheus. Waits at the manual gate for Enter (promote).
 */
@Command(name = "local-rollout", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class, sortOptions = false,
        description = "The canary rollout of the local platform, analysed by the real AnalysisTemplates.")
public final class LocalRolloutMain implements Callable<Integer> {

    @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080", description = "The gateway in local mode.")
    String gateway;

    @Option(names = "--prometheus", defaultValue = "http://127.0.0.1:9090")
    String prometheus;

    @Option(names = "--canary-pid", required = true, description = "Process of the canary server, stopped on abort.")
    long canaryPid;

    @Option(names = "--canary-hash", defaultValue = "c4n4ry",
            description = "The rollouts_pod_template_hash label Prometheus gives the canary (default: ${DEFAULT-VALUE}).")
    String canaryHash;

    @Option(names = "--rollouts", defaultValue = "rollouts",
            description = "Directory of the Rollout and its AnalysisTemplates (default: ${DEFAULT-VALUE}).")
    Path rollouts;

    @Option(names = "--namespace", defaultValue = "local",
            description = "The namespace label Prometheus gives the servers (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--time-scale", defaultValue = "10",
            description = "Divides the templates' intervals and the steps' pauses (default: ${DEFAULT-VALUE}).")
    double timeScale;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalRolloutMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        LocalRollout.Platform platform = new LocalRollout.Platform() {
            @Override
            public void setCanaryWeight(int percent) throws Exception {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway + "/admin/traffic"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"canaryWeight\":" + percent + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the gateway refused the weight: " + response.body());
                }
            }

            @Override
            public void stopCanary() {
                ProcessHandle.of(canaryPid).ifPresent(ProcessHandle::destroy);
            }
        };
        AnalysisRunner runner = new AnalysisRunner(new PrometheusQuery(prometheus), timeScale, measurement ->
                say(measurement.template() + "/" + measurement.metric() + " #" + measurement.index() + ": "
                        + measurement.phase() + " " + (measurement.error() != null ? measurement.error() : measurement.result())));
        LocalRollout rollout = new LocalRollout(platform,
                CanaryStrategy.read(rollouts.resolve("rollout-inference-server.yaml")), runner,
                AnalysisTemplate.readAll(rollouts),
                Map.of("service-name", "inference-server", "canary-hash", canaryHash, "namespace", namespace),
                timeScale, LocalRolloutMain::say);
        LocalRollout.Outcome outcome = rollout.run();
        say("rollout: " + outcome.state() + " " + outcome.steps());
        if (outcome.state() != LocalRollout.State.AT_MANUAL_GATE) {
            return outcome.state() == LocalRollout.State.ABORTED ? 1 : 3;
        }
        say("At the manual gate with 50% on the canary. Press Enter to promote (Ctrl-C leaves it at the gate).");
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        say("rollout: " + rollout.promote(outcome).state());
        return 0;
    }

    private static void say(String line) {
        System.out.println(LocalTime.now(ZoneId.systemDefault()).truncatedTo(ChronoUnit.SECONDS) + "  " + line);
    }
}
