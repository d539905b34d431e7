package dev.inference.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every dashboard query parses, and reads only metrics the platform really exports. */
class DashboardQueriesTest {

    private static final List<String> DASHBOARDS = List.of("inference-overview.json", "inference-canary.json");
    private static Set<String> exported;

    @BeforeAll
    static void scrapeRealServers() throws Exception {
        exported = ExportedMetrics.names(Tools.MONITORING, System.getProperty("inference.modelRepository"));
    }

    @Test
    void everyQueryParses(@TempDir Path dir) throws Exception {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        List<String> queries = queries();
        for (int i = 0; i < queries.size(); i++) {
            rules.append("      - record: dashboard:query_").append(i).append("\n        expr: '")
                    .append(withVariablesSet(queries.get(i)).replace("'", "''")).append("'\n");
        }
        Files.writeString(dir.resolve("queries.yml"), rules);

        Tools.Result check = Tools.run(dir, Tools.require("promtool"), "check", "rules", "queries.yml");

        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("SUCCESS: " + queries.size() + " rules found"), check.output());
    }

    @Test
    void everyMetricAQueryReadsIsExportedOrRecorded() throws Exception {
        for (String query : queries()) {
            for (String metric : PromQl.metricNames(query)) {
                assertTrue(exported.contains(metric), metric + " in " + query + " is not exported by the server,"
                        + " the gateway, or a recording rule");
            }
        }
    }

    @Test
    void dashboardsCoverTheCanaryComparison() throws Exception {
        String canary = Files.readString(Tools.MONITORING.resolve("dashboards/inference-canary.json"));
        for (String metric : List.of("revision:inference_request_duration_seconds:p95_5m",
                "revision:inference_request_error_ratio:rate5m", "inference_batch_size_sum", "inference_queue_depth",
                "inference_predictions_total", "canary_revision:inference_shadow_agreement:ratio_rate10m")) {
            assertTrue(canary.contains(metric), metric);
        }
    }

    static List<String> queries() throws Exception {
        List<String> queries = new ArrayList<>();
        for (String dashboard : DASHBOARDS) {
            JsonObject json = JsonParser.parseString(
                    Files.readString(Tools.MONITORING.resolve("dashboards").resolve(dashboard))).getAsJsonObject();
            for (JsonElement panel : json.getAsJsonArray("panels")) {
                for (JsonElement target : panel.getAsJsonObject().getAsJsonArray("targets")) {
                    queries.add(target.getAsJsonObject().get("expr").getAsString());
                }
            }
        }
        return queries;
    }

    /** Grafana's variables as Grafana would fill them in. */
    private static String withVariablesSet(String query) {
        return query.replace("$__rate_interval", "1m").replace("$namespace", "prod").replace("$model", ".*");
    }

    @Test
    void metricNamesAreFoundInsideExpressions() {
        assertEquals(Set.of("inference_requests_total"),
                PromQl.metricNames("sum by (track) (rate(inference_requests_total{namespace=\"a\",model=~\"b|c\"}[5m]))"));
        assertEquals(Set.of("model:ratio:rate5m", "other_total"), PromQl.metricNames(
                "model:ratio:rate5m > (14.4 * 0.001) and on (model) sum(rate(other_total[1m] offset 1d)) > 0.1"));
        assertTrue(Stream.of("histogram_quantile", "le", "sum").noneMatch(PromQl.metricNames(
                "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))")::contains));
    }
}
