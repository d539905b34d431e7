package dev.inference.delivery.rollout;

import dev.inference.delivery.GoDuration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The canary strategy of an Argo Rollouts {@code Rollout}, read from the file that is deployed, so
 * that the local rollout and the tests follow the very steps a cluster runs. Only the step kinds
 * this platform uses are accepted; any other is an error rather than a step silently skipped.
 *
 * @param startingStep index (0-based) of the step from which the background analysis runs
 * @param abortScaleDownDelay how long an aborted canary keeps its pods; Argo reads 0 as "never"
 */
public record CanaryStrategy(List<Step> steps, List<String> backgroundTemplates, int startingStep,
        Duration abortScaleDownDelay) {

    /** One entry of {@code spec.strategy.canary.steps}. */
    public sealed interface Step {}

    /** Sends this share of the traffic to the canary. */
    public record SetWeight(int percent) implements Step {
        @Override
        public String toString() {
            return "setWeight " + percent;
        }
    }

    /** A timed pause, or with no duration the manual gate that waits for a promote. */
    public record Pause(Optional<Duration> duration) implements Step {
        public boolean indefinite() {
            return duration.isEmpty();
        }

        @Override
        public String toString() {
            return duration.map(d -> "pause " + d.toString().substring(2).toLowerCase()).orElse("pause {} (promote to finish)");
        }
    }

    /** An inline analysis: the rollout waits for its result. */
    public record Analysis(List<String> templates) implements Step {
        @Override
        public String toString() {
            return "analysis " + String.join(", ", templates);
        }
    }

    /** A managed mirror route; without a match it removes the route of that name. */
    public record SetMirrorRoute(String name, int percentage, boolean removes) implements Step {
        @Override
        public String toString() {
            return removes ? "setMirrorRoute " + name + " removed" : "setMirrorRoute " + name + " " + percentage + "%";
        }
    }

    /** Sizes the canary apart from its weight, or (matchTrafficWeight) ties it to the weight again. */
    public record SetCanaryScale(OptionalInt replicas, OptionalInt weight, boolean matchTrafficWeight) implements Step {
        @Override
        public String toString() {
            if (matchTrafficWeight) {
                return "setCanaryScale matchTrafficWeight";
            }
            return replicas.isPresent() ? "setCanaryScale replicas " + replicas.getAsInt()
                    : "setCanaryScale weight " + weight.orElseThrow();
        }
    }

    public static CanaryStrategy read(Path rolloutFile) throws IOException {
        return parse(Files.readString(rolloutFile));
    }

    @SuppressWarnings("unchecked")
    public static CanaryStrategy parse(String rolloutYaml) {
        Map<String, Object> rollout = new Yaml(new LoaderOptions()).load(rolloutYaml);
        if (!"Rollout".equals(rollout.get("kind"))) {
            throw new IllegalArgumentException("not a Rollout: kind " + rollout.get("kind"));
        }
        Map<String, Object> canary = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) rollout.get("spec"))
                .get("strategy")).get("canary");
        List<Step> steps = new ArrayList<>();
        for (Map<String, Object> step : (List<Map<String, Object>>) canary.get("steps")) {
            steps.add(step(step));
        }
        Map<String, Object> analysis = (Map<String, Object>) canary.getOrDefault("analysis", Map.of());
        int startingStep = ((Number) analysis.getOrDefault("startingStep", 0)).intValue();
        Duration abortDelay = Duration.ofSeconds(((Number) canary.getOrDefault("abortScaleDownDelaySeconds", 30)).intValue());
        return new CanaryStrategy(List.copyOf(steps), templateNames(analysis), startingStep, abortDelay);
    }

    @SuppressWarnings("unchecked")
    private static Step step(Map<String, Object> step) {
        if (step.size() != 1) {
            throw new IllegalArgumentException("a step has exactly one kind, not " + step.keySet());
        }
        Map.Entry<String, Object> only = step.entrySet().iterator().next();
        Map<String, Object> body = only.getValue() instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
        return switch (only.getKey()) {
            case "setWeight" -> new SetWeight(((Number) only.getValue()).intValue());
            case "pause" -> new Pause(Optional.ofNullable((Object) body.get("duration"))
                    .map(duration -> GoDuration.parse(String.valueOf(duration))));
            case "analysis" -> new Analysis(templateNames(body));
            case "setMirrorRoute" -> new SetMirrorRoute((String) body.get("name"),
                    ((Number) body.getOrDefault("percentage", 100)).intValue(), body.get("match") == null);
            case "setCanaryScale" -> new SetCanaryScale(optionalInt(body.get("replicas")), optionalInt(body.get("weight")),
                    Boolean.TRUE.equals(body.get("matchTrafficWeight")));
            default -> throw new IllegalArgumentException("step kind " + only.getKey() + " is not modelled here");
        };
    }

    @SuppressWarnings("unchecked")
    private static List<String> templateNames(Map<String, Object> analysis) {
        return ((List<Map<String, Object>>) analysis.getOrDefault("templates", List.of())).stream()
                .map(template -> (String) template.get("templateName")).collect(Collectors.toUnmodifiableList());
    }

    private static OptionalInt optionalInt(Object value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(((Number) value).intValue());
    }
}
