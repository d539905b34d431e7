package dev.inference.rollouts.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ConditionTest {

    @Test
    void evaluatesTheFormsTheTemplatesUse() {
        Condition success = Condition.parse("len(result) == 0 || isNaN(result[0]) || result[0] <= 0.4");
        Condition failure = Condition.parse("len(result) > 0 && !isNaN(result[0]) && result[0] > 0.4");

        assertTrue(success.test(List.of()), "no data");
        assertTrue(success.test(List.of(Double.NaN)), "no calls in the window");
        assertTrue(success.test(List.of(0.05)));
        assertFalse(success.test(List.of(0.5)));
        assertFalse(failure.test(List.of()));
        assertFalse(failure.test(List.of(Double.NaN)));
        assertTrue(failure.test(List.of(0.5)));
        assertFalse(Condition.parse("false").test(List.of(1.0)));
    }

    @Test
    void refusesWhatItDoesNotSupportLoudly() {
        for (String unsupported : List.of("result[0] > 0.4 and len(result) > 0", "asFloat(result) > 1", "result > 1 ?",
                "default(result, 0) > 1", "len(result) ==")) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Condition.parse(unsupported));
            assertTrue(error.getMessage().startsWith("unsupported condition"), error.getMessage());
        }
        IllegalStateException unguarded = assertThrows(IllegalStateException.class,
                () -> Condition.parse("result[0] > 0.4").test(List.of()));
        assertTrue(unguarded.getMessage().contains("guard with len(result)"));
    }

    @Test
    void measurementsAreJudgedAsArgoJudgesThem() {
        MetricSpec.Resolved both = spec("result[0] < 1", "result[0] > 2");
        assertEquals(Phase.SUCCESSFUL, both.judge(List.of(0.5)));
        assertEquals(Phase.FAILED, both.judge(List.of(3.0)));
        assertEquals(Phase.INCONCLUSIVE, both.judge(List.of(1.5)), "neither condition");
        assertEquals(Phase.FAILED, spec("result[0] < 1", null).judge(List.of(1.5)), "only success: false fails");
        assertEquals(Phase.SUCCESSFUL, spec(null, "result[0] > 2").judge(List.of(1.5)), "only failure: false succeeds");
    }

    @Test
    void everyTemplateOfTheRepositoryIsReadableByTheRunner() throws Exception {
        Path rollouts = Path.of(System.getProperty("repository.root")).resolve("rollouts");
        try (Stream<Path> files = Files.list(rollouts)) {
            List<Path> templates = files.filter(file -> file.getFileName().toString().startsWith("analysistemplate-")).toList();
            assertEquals(5, templates.size());
            for (Path file : templates) {
                AnalysisTemplate template = AnalysisTemplate.read(file);
                for (MetricSpec metric : template.metrics()) {
                    MetricSpec.Resolved resolved = template.resolve(metric, Map.of("service-name", "svc",
                            "canary-hash", "abc", "namespace", "ns"));
                    assertFalse(resolved.query().contains("{{"), resolved.query());
                }
            }
        }
    }

    @Test
    void argumentsInConditionsAreResolvedLikeTheQuery() throws Exception {
        AnalysisTemplate agreement = AnalysisTemplate.read(Path.of(System.getProperty("repository.root"))
                .resolve("rollouts/analysistemplate-canary-agreement.yaml"));
        MetricSpec metric = agreement.metrics().get(0);
        Map<String, String> args = Map.of("canary-hash", "abc", "namespace", "ns");

        assertEquals(Phase.FAILED, agreement.resolve(metric, args).judge(List.of(0.6)), "below the default 0.7");
        assertEquals(Phase.SUCCESSFUL, agreement.resolve(metric, args).judge(List.of(0.8)));
        assertEquals(Phase.INCONCLUSIVE, agreement.resolve(metric, args).judge(List.of()), "too few comparisons");
        Map<String, String> lower = new java.util.HashMap<>(args);
        lower.put("min-agreement", "0.5");
        assertEquals(Phase.SUCCESSFUL, agreement.resolve(metric, lower).judge(List.of(0.6)), "a Rollout's own threshold");
        assertTrue(agreement.resolve(metric, args).query().contains(">= 100"), "min-comparisons in the query");
    }

    @Test
    void missingOrUndeclaredArgumentsAreErrors() throws Exception {
        AnalysisTemplate latency = AnalysisTemplate.read(Path.of(System.getProperty("repository.root"))
                .resolve("rollouts/analysistemplate-canary-latency.yaml"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> latency.resolve(latency.metrics().get(0).query(), Map.of("service-name", "svc")));
        assertTrue(missing.getMessage().contains("needs the argument canary-hash"));
    }

    private static MetricSpec.Resolved spec(String success, String failure) {
        return new MetricSpec("m", java.time.Duration.ofSeconds(1), 1, 0, 0, 4, success, failure, "up")
                .resolve(text -> text);
    }
}
