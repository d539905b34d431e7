package dev.inference.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

class RuleFilesTest {

    @Test
    void promtoolChecksTheRules() throws Exception {
        Tools.Result check = Tools.run(Tools.MONITORING.resolve("rules"), Tools.require("promtool"),
                "check", "rules", "inference.rules.yml");

        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("SUCCESS: 23 rules found"), check.output());
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        Tools.Result test = Tools.run(Tools.MONITORING.resolve("rules"), Tools.require("promtool"),
                "test", "rules", "inference.rules.test.yml");

        assertEquals(0, test.exitCode(), test.output());
    }

    @Test
    void everyAlertHasSeverityRunbookDashboardAndTestsThatFireAndThatDoNot() throws Exception {
        List<Map<String, Object>> alerts = alerts();
        String tests = Files.readString(Tools.MONITORING.resolve("rules/inference.rules.test.yml"));

        assertEquals(8, alerts.size());
        for (Map<String, Object> alert : alerts) {
            String name = (String) alert.get("alert");
            Map<?, ?> labels = (Map<?, ?>) alert.get("labels");
            Map<?, ?> annotations = (Map<?, ?>) alert.get("annotations");
            assertTrue(List.of("page", "ticket", "warning").contains(labels.get("severity")), name);
            for (String annotation : List.of("summary", "description", "runbook_url", "dashboard_url")) {
                assertTrue(annotations.containsKey(annotation), name + " has " + annotation);
            }
            String runbook = "docs/runbooks/" + name + ".md";
            assertTrue(((String) annotations.get("runbook_url")).endsWith("/blob/main/" + runbook), name);
            assertTrue(Files.isRegularFile(Tools.MONITORING.resolveSibling(runbook)), name + " has its runbook page");
            assertTrue(((String) annotations.get("description")).contains("{{ $value"),
                    name + "'s description tells the current value");
            String firing = "alertname: " + name + "\n        exp_alerts:\n          - exp_labels:";
            String silent = "alertname: " + name + "\n        exp_alerts: []";
            assertTrue(tests.contains(firing), name + " has a case that fires");
            assertTrue(tests.contains(silent), name + " has a case that must not fire");
        }
    }

    @Test
    void prometheusRuleIsGeneratedFromTheRuleFile(@TempDir Path dir) throws Exception {
        Path generated = dir.resolve("prometheusrule.yaml");
        Tools.Result run = Tools.run(Tools.MONITORING, "bash", "generate-prometheusrule.sh", generated.toString());

        assertEquals(0, run.exitCode(), run.output());
        assertEquals(Files.readString(generated), Files.readString(Tools.MONITORING.resolve("prometheusrule.yaml")),
                "prometheusrule.yaml is stale: run monitoring/generate-prometheusrule.sh");
        Map<?, ?> resource = new Yaml().load(Files.readString(generated));
        Map<?, ?> ruleFile = new Yaml().load(Files.readString(Tools.MONITORING.resolve("rules/inference.rules.yml")));
        assertEquals(ruleFile.get("groups"), ((Map<?, ?>) resource.get("spec")).get("groups"));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alerts() throws Exception {
        Map<String, Object> file = new Yaml().load(Files.readString(Tools.MONITORING.resolve("rules/inference.rules.yml")));
        return ((List<Map<String, Object>>) file.get("groups")).stream()
                .flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream())
                .filter(rule -> rule.containsKey("alert"))
                .toList();
    }
}
