package dev.inference.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

class AlertmanagerConfigTest {

    @TempDir
    static Path dir;
    private static Path config;

    @BeforeAll
    static void writeConfig() throws Exception {
        config = Tools.alertmanagerConfig(dir, "https://events.pagerduty.com/v2/enqueue",
                "https://hooks.slack.com/services/T000/B000/XXXX", "0123456789abcdef0123456789abcdef");
    }

    @Test
    void amtoolAcceptsTheConfigurationAndItsTemplates() throws Exception {
        Tools.Result check = Tools.run(dir, Tools.require("amtool"), "check-config", config.toString());

        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("- 1 templates"), check.output());
    }

    @ParameterizedTest(name = "severity={0} goes to {1}")
    @CsvSource({
        "page,    pagerduty-and-slack-pages",
        "warning, slack-alerts",
        "ticket,  slack-alerts",
        "'',      slack-alerts",
    })
    void eachSeverityReachesTheRightReceivers(String severity, String receiver) throws Exception {
        Tools.Result route = Tools.run(dir, Tools.require("amtool"), "config", "routes", "test",
                "--config.file=" + config, "--verify.receivers=" + receiver,
                "alertname=InferenceCanaryLatencyHigh", "namespace=prod", "model=sentiment", "severity=" + severity);

        assertEquals(0, route.exitCode(), route.output());
        List<String> lines = route.output().strip().lines().toList();
        assertEquals(receiver, lines.get(lines.size() - 1), route.output());
    }

    @Test
    void noSecretIsInTheConfiguration() throws Exception {
        String committed = Files.readString(Tools.MONITORING.resolve("alertmanager/alertmanager.yml"));

        assertFalse(committed.contains("routing_key:"), "the routing key comes from a file");
        assertFalse(committed.contains("api_url:"), "the webhook URL comes from a file");
        assertTrue(committed.contains("routing_key_file:") && committed.contains("slack_api_url_file:"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void operatorConfigRoutesLikeThePlainOne() throws Exception {
        Map<String, Object> plain = new Yaml().load(Files.readString(Tools.MONITORING.resolve("alertmanager/alertmanager.yml")));
        Map<String, Object> operator = (Map<String, Object>) ((Map<String, Object>) new Yaml().load(
                Files.readString(Tools.MONITORING.resolve("alertmanager/alertmanagerconfig.yaml")))).get("spec");

        assertEquals(channels((List<Map<String, Object>>) plain.get("receivers"), "slack_configs"),
                channels((List<Map<String, Object>>) operator.get("receivers"), "slackConfigs"));
        Map<String, Object> plainRoute = (Map<String, Object>) plain.get("route");
        Map<String, Object> operatorRoute = (Map<String, Object>) operator.get("route");
        assertEquals(plainRoute.get("receiver"), operatorRoute.get("receiver"));
        assertEquals(plainRoute.get("group_by"), operatorRoute.get("groupBy"));
        List<String> plainReceivers = ((List<Map<String, Object>>) plainRoute.get("routes")).stream()
                .map(route -> (String) route.get("receiver")).toList();
        List<String> operatorReceivers = ((List<Map<String, Object>>) operatorRoute.get("routes")).stream()
                .map(route -> (String) route.get("receiver")).toList();
        assertEquals(plainReceivers, operatorReceivers);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> channels(List<Map<String, Object>> receivers, String slackKey) {
        return receivers.stream().collect(Collectors.toMap(receiver -> (String) receiver.get("name"),
                receiver -> ((List<Map<String, Object>>) receiver.get(slackKey)).stream()
                        .map(slack -> (String) slack.get("channel")).collect(Collectors.joining(","))));
    }
}
