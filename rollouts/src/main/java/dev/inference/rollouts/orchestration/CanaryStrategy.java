package dev.inference.rollouts.orchestration;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.inference.platform.GoDuration;
import dev.inference.rollouts.ManifestYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

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
            return duration.map(d -> "pause " + d.toString().substring(2).toLowerCase(Locale.ROOT)).orElse("pause {} (promote to finish)");
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

    /** The parts of a Rollout this reads; under {@code canary}, a field not declared here is refused. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Document(String kind, Spec spec) {

        @JsonIgnoreProperties(ignoreUnknown = true)
        record Spec(Strategy strategy) {}

        @JsonIgnoreProperties(ignoreUnknown = true)
        record Strategy(Canary canary) {}

        /** Routing and metadata are the controller's business; steps and analysis are the local rollout's. */
        @JsonIgnoreProperties({"canaryService", "stableService", "canaryMetadata", "stableMetadata", "trafficRouting",
                "maxSurge", "maxUnavailable", "dynamicStableScale", "scaleDownDelaySeconds"})
        record Canary(List<StepDocument> steps, AnalysisBody analysis, Integer abortScaleDownDelaySeconds) {}

        /** One step: exactly one of these is set. */
        record StepDocument(Integer setWeight, PauseBody pause, AnalysisBody analysis, MirrorBody setMirrorRoute,
                ScaleBody setCanaryScale) {}

        record PauseBody(String duration) {}

        record AnalysisBody(List<TemplateRef> templates, Integer startingStep, List<Object> args) {}

        @JsonIgnoreProperties(ignoreUnknown = true)
        record TemplateRef(String templateName) {}

        @JsonIgnoreProperties(ignoreUnknown = true)
        record MirrorBody(String name, Integer percentage, Object match) {}

        record ScaleBody(Integer replicas, Integer weight, Boolean matchTrafficWeight) {}
    }

    public static CanaryStrategy parse(String rolloutYaml) {
        Document rollout = ManifestYaml.read(rolloutYaml, Document.class, "Rollout");
        if (!"Rollout".equals(rollout.kind())) {
            throw new IllegalArgumentException("not a Rollout: kind " + rollout.kind());
        }
        Document.Canary canary = rollout.spec().strategy().canary();
        List<Step> steps = canary.steps().stream().map(CanaryStrategy::step).toList();
        Document.AnalysisBody analysis = canary.analysis();
        int startingStep = analysis == null || analysis.startingStep() == null ? 0 : analysis.startingStep();
        Duration abortDelay = Duration.ofSeconds(Objects.requireNonNullElse(canary.abortScaleDownDelaySeconds(), 30));
        return new CanaryStrategy(steps, templateNames(analysis), startingStep, abortDelay);
    }

    private static Step step(Document.StepDocument step) {
        List<Step> kinds = new ArrayList<>(1);
        if (step.setWeight() != null) {
            kinds.add(new SetWeight(step.setWeight()));
        }
        if (step.pause() != null) {
            kinds.add(new Pause(Optional.ofNullable(step.pause().duration()).map(GoDuration::parse)));
        }
        if (step.analysis() != null) {
            kinds.add(new Analysis(templateNames(step.analysis())));
        }
        if (step.setMirrorRoute() != null) {
            Document.MirrorBody mirror = step.setMirrorRoute();
            kinds.add(new SetMirrorRoute(mirror.name(), Objects.requireNonNullElse(mirror.percentage(), 100),
                    mirror.match() == null));
        }
        if (step.setCanaryScale() != null) {
            Document.ScaleBody scale = step.setCanaryScale();
            kinds.add(new SetCanaryScale(optionalInt(scale.replicas()), optionalInt(scale.weight()),
                    Boolean.TRUE.equals(scale.matchTrafficWeight())));
        }
        if (kinds.size() != 1) {
            throw new IllegalArgumentException("a step has exactly one kind, not " + kinds);
        }
        return kinds.get(0);
    }

    private static List<String> templateNames(Document.AnalysisBody analysis) {
        if (analysis == null || analysis.templates() == null) {
            return List.of();
        }
        return analysis.templates().stream().map(Document.TemplateRef::templateName).toList();
    }

    private static OptionalInt optionalInt(Integer value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(value);
    }
}
