package dev.inference.rollouts.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.rollouts.orchestration.CanaryStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the typed readers take from the deployed files, and what they refuse rather than skip. */
class AnalysisTemplateTest {

    private static final Path ROLLOUTS = Path.of(System.getProperty("repository.root", "..")).resolve("rollouts");

    @Test
    void theAgreementTemplateReadsWithArgoDefaultsForWhatItLeavesOut() throws Exception {
        AnalysisTemplate template = AnalysisTemplate.read(ROLLOUTS.resolve("analysistemplate-canary-agreement.yaml"));

        assertEquals("inference-canary-agreement", template.name());
        assertEquals("0.7", template.args().get("min-agreement"));
        MetricSpec metric = template.metrics().get(0);
        assertEquals(Duration.ofMinutes(1), metric.interval());
        assertEquals(1, metric.failureLimit());
        assertEquals(3, metric.inconclusiveLimit());
        assertEquals(4, metric.consecutiveErrorLimit(), "Argo's default");
    }

    @Test
    void aMetricFieldTheRunnerCannotHonourIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("analysistemplate-dry.yaml");
        Files.writeString(file, """
                apiVersion: argoproj.io/v1alpha1
                kind: AnalysisTemplate
                metadata:
                  name: dry
                spec:
                  metrics:
                    - name: m
                      dryRun: true
                      successCondition: result[0] > 1
                      provider:
                        prometheus:
                          query: up
                """);

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> AnalysisTemplate.read(file));
        assertTrue(refused.getMessage().contains("does not support dryRun"), refused.getMessage());
    }

    @Test
    void aStepKindTheLocalRolloutDoesNotModelIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> CanaryStrategy.parse("""
                kind: Rollout
                spec:
                  strategy:
                    canary:
                      steps:
                        - setWeight: 10
                        - setHeaderRoute:
                            name: pinned
                """));
        assertTrue(refused.getMessage().contains("does not support setHeaderRoute"), refused.getMessage());
    }

    @Test
    void theDeployedRolloutReadsWithItsGoDurations() throws Exception {
        CanaryStrategy strategy = CanaryStrategy.read(ROLLOUTS.resolve("rollout-inference-server.yaml"));

        assertEquals(2, strategy.startingStep());
        assertTrue(strategy.steps().stream().anyMatch(step -> step instanceof CanaryStrategy.Pause pause
                && pause.duration().isPresent()), strategy.steps().toString());
    }
}
