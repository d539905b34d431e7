package dev.inference.rollouts.analysis;

import dev.inference.platform.ManifestVersion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A dry run of AnalysisTemplates against any Prometheus, with the semantics of Argo Rollouts:
 * <pre>java -jar rollouts/target/analysis.jar --prometheus http://localhost:9090 \
 *     --template rollouts/analysistemplate-canary-latency.yaml --arg canary-hash=6d4f8c9b7 --arg service-name=inference-server</pre>
 * Exit code 0 for Successful, 1 for Failed or Error, 3 for Inconclusive.
 */
@Command(name = "analysis", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class, sortOptions = false,
        description = "Runs AnalysisTemplates against a Prometheus as Argo Rollouts would.")
public final class AnalysisMain implements Callable<Integer> {

    @Option(names = "--prometheus", required = true, description = "Prometheus base URL, e.g. http://localhost:9090")
    String prometheus;

    @Option(names = "--template", required = true, description = "AnalysisTemplate file; repeat for several.")
    List<Path> templates = new ArrayList<>();

    @Option(names = "--arg", description = "name=value for the templates' args.")
    Map<String, String> args = new LinkedHashMap<>();

    @Option(names = "--time-scale", defaultValue = "1",
            description = "Divides every interval: 30 measures every second where the template says 30s.")
    double timeScale;

    @Option(names = "--max-minutes", defaultValue = "10",
            description = "Stops a background analysis (a metric without count) after this long (default: ${DEFAULT-VALUE}).")
    double maxMinutes;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AnalysisMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<AnalysisTemplate> loaded = new ArrayList<>();
        for (Path template : templates) {
            loaded.add(AnalysisTemplate.read(template));
        }
        AnalysisRunner runner = new AnalysisRunner(new PrometheusQuery(prometheus), timeScale, measurement ->
                System.out.printf(Locale.ROOT, "%-32s %-18s #%-3d %-12s %s%n", measurement.template(), measurement.metric(),
                        measurement.index(), measurement.phase(),
                        measurement.error() != null ? measurement.error() : measurement.result()));
        long end = System.nanoTime() + (long) (maxMinutes * 60e9);
        AnalysisRunner.Result result = runner.run(loaded, args, () -> System.nanoTime() > end);
        result.metrics().forEach(metric -> System.out.printf(Locale.ROOT,
                "%s/%s: %s after %d measurements (%d failed, %d inconclusive, %d errors)%n", metric.template(),
                metric.metric(), metric.phase(), metric.measurements(), metric.failed(), metric.inconclusive(), metric.errors()));
        System.out.println("analysis: " + result.phase());
        return switch (result.phase()) {
            case SUCCESSFUL -> 0;
            case INCONCLUSIVE -> 3;
            default -> 1;
        };
    }
}
