package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.rollouts.orchestration.CanaryStrategy;
import dev.inference.rollouts.orchestration.CanaryStrategy.Analysis;
import dev.inference.rollouts.orchestration.CanaryStrategy.Pause;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetCanaryScale;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetMirrorRoute;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetWeight;
import dev.inference.rollouts.orchestration.CanaryStrategy.Step;
import dev.inference.rollouts.Manifests.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The real Rollout, step by step, as the Argo Rollouts controller would run it with Istio traffic
 * routing: for every step the canary and stable replica counts, the weights of the VirtualService,
 * the managed routes and the analyses that run. The functions named below are Argo's
 * (argoproj/argo-rollouts, utils/replicaset/canary.go and rollout/trafficrouting.go); the model
 * implements only what they do for the strategy fields this platform uses, without
 * dynamicStableScale (which the Rollout does not set).
 */
class RolloutStepsTest {

    /** One step as the controller leaves it once the step's replicas are available. */
    record State(int index, Step step, int canaryReplicas, int stableReplicas, int canaryWeight,
            Optional<String> mirrorRoute, Set<String> analyses) {}

    private static CanaryStrategy strategy;
    /** Every spec.replicas the HorizontalPodAutoscaler may choose, since the Rollout sets none. */
    private static List<Integer> replicaCounts;
    private static int replicas;

    @BeforeAll
    static void read() throws Exception {
        strategy = CanaryStrategy.read(Manifests.ROOT.resolve("rollouts/rollout-inference-server.yaml"));
        Map<String, Object> hpa = null;
        for (Object document : new Yaml(new LoaderOptions()).loadAll(Files.readString(Manifests.ROOT.resolve("rollouts/autoscaling.yaml")))) {
            Map<String, Object> object = cast(document);
            if ("Rollout".equals(cast(cast(object.get("spec")).get("scaleTargetRef")).get("kind"))) {
                hpa = cast(object.get("spec"));
            }
        }
        int min = ((Number) hpa.get("minReplicas")).intValue();
        int max = ((Number) hpa.get("maxReplicas")).intValue();
        replicaCounts = java.util.stream.IntStream.rangeClosed(min, max).boxed().toList();
        replicas = min;
    }

    /** Mirrored calls are real load: a mirroring step has pods for the mirrored share. */
    @Test
    void everyStepThatRoutesToTheCanaryHasPodsForItsShare() {
        for (int count : replicaCounts) {
            for (State state : model(strategy, count)) {
                int share = Math.max(state.canaryWeight(), state.mirrorRoute().isPresent() ? mirrorPercentage(state.index()) : 0);
                if (share > 0) {
                    assertTrue(state.canaryReplicas() >= Math.max(1, trafficWeightToReplicas(count, share)),
                            "with " + count + " replicas, step " + state.index() + " (" + state.step() + ") sends "
                                    + share + "% to too few canary pods: " + state);
                }
            }
        }
    }

    @Test
    void mirroringHasACanaryToMirrorToAndNoUsers() {
        List<State> mirroring = model(strategy, replicas).stream().filter(state -> state.mirrorRoute().isPresent()).toList();
        assertFalse(mirroring.isEmpty(), "the Rollout has a shadow phase");
        for (State state : mirroring) {
            assertEquals(0, state.canaryWeight(), "no user traffic while shadowing: " + state);
            assertTrue(state.canaryReplicas() >= 1, state.toString());
        }
    }

    /** Scaling the shadowed pods away only to start cold ones for the first users is churn. */
    @Test
    void theCanaryKeepsItsPodsFromTheFirstOneToTheEnd() {
        for (int count : replicaCounts) {
            boolean started = false;
            for (State state : model(strategy, count)) {
                started |= state.canaryReplicas() > 0;
                assertTrue(!started || state.canaryReplicas() > 0,
                        "with " + count + " replicas the canary scales to zero at step " + state.index() + " (" + state.step() + ")");
            }
        }
    }

    /** From the last setCanaryScale on, the canary's size follows its weight, as without setCanaryScale. */
    @Test
    void weightsAndReplicaCountsAgreeAfterTheMirrorPhase() {
        int lastScale = -1;
        for (int index = 0; index < strategy.steps().size(); index++) {
            if (strategy.steps().get(index) instanceof SetCanaryScale) {
                lastScale = index;
            }
        }
        assertTrue(lastScale >= 0 && ((SetCanaryScale) strategy.steps().get(lastScale)).matchTrafficWeight(),
                "the last setCanaryScale ties the canary to its weight again");
        for (int count : replicaCounts) {
            List<State> states = model(strategy, count);
            int lastMirror = states.stream().filter(state -> state.mirrorRoute().isPresent()).mapToInt(State::index).max().orElse(-1);
            assertTrue(lastMirror < lastScale, "the canary follows its weight only after the mirror");
            for (State state : states.subList(lastScale, states.size())) {
                assertEquals(trafficWeightToReplicas(count, state.canaryWeight()), state.canaryReplicas(),
                        "with " + count + " replicas, step " + state.index() + " (" + state.step() + "): " + state);
                assertEquals(count, state.stableReplicas());
            }
        }
    }

    /**
     * Every step at which the canary answers calls, mirrored, shadowed or weighted, is under the
     * background analysis, from the step after the mirror route is set: a canary that is slow,
     * failing or wrong is judged before its first user.
     */
    @Test
    void backgroundAnalysisJudgesEveryStepFromTheShadowPhaseOn() {
        List<State> states = model(strategy, replicas);
        int firstMirror = states.stream().filter(state -> state.step() instanceof SetMirrorRoute route && !route.removes())
                .mapToInt(State::index).min().orElseThrow();
        assertEquals(firstMirror + 1, strategy.startingStep(), "startingStep is the step after the mirror is set");
        for (State state : states) {
            boolean servesCalls = state.canaryWeight() > 0 || state.mirrorRoute().isPresent();
            if (servesCalls && state.index() > firstMirror) {
                assertTrue(state.analyses().containsAll(strategy.backgroundTemplates()),
                        "step " + state.index() + " lets the canary answer unanalysed: " + state);
            }
        }
        assertTrue(strategy.backgroundTemplates().contains("inference-canary-agreement"),
                "the background analysis compares the canary's answers with stable's");
    }

    @Test
    void theRolloutEndsAtTheManualGate() {
        Step last = strategy.steps().get(strategy.steps().size() - 1);
        assertTrue(last instanceof Pause pause && pause.indefinite(), "the last step waits for a promote: " + last);
    }

    /**
     * An abort at any step: GetCurrentSetWeight answers 0, UseSetCanaryScale ignores any
     * setCanaryScale once abortScaleDownDelaySeconds is set, reconcileTrafficRouting removes the
     * managed routes, and the canary's pods go after the delay (0 would keep them forever).
     */
    @Test
    void anAbortReturnsAllTrafficToStableAndScalesTheCanaryToZero() {
        assertTrue(strategy.abortScaleDownDelay().compareTo(Duration.ZERO) > 0,
                "abortScaleDownDelaySeconds 0 means the canary is never scaled down");
        for (int index = 0; index < strategy.steps().size(); index++) {
            State aborted = abortedAt(strategy, replicas, index);
            assertEquals(0, aborted.canaryWeight());
            assertEquals(0, aborted.canaryReplicas(), "after abortScaleDownDelaySeconds: " + aborted);
            assertEquals(Optional.empty(), aborted.mirrorRoute());
            assertEquals(replicas, aborted.stableReplicas());
        }
    }

    /**
     * Argo puts managed routes above the hand-written ones (orderRoutes in
     * rollout/trafficrouting/istio/istio.go), so the mirror route must not match pinned calls: it
     * matches the value the gateway sends for an unpinned call, which no pinned route uses.
     */
    @Test
    void theMirrorRouteLeavesPinnedCallsToTheirTrack() throws Exception {
        Map<String, Object> rollout = new Yaml(new LoaderOptions()).load(
                Files.readString(Manifests.ROOT.resolve("rollouts/rollout-inference-server.yaml")));
        String steps = String.valueOf(cast(cast(cast(rollout.get("spec")).get("strategy")).get("canary")).get("steps"));
        assertTrue(steps.contains("headers={" + dev.inference.gateway.routing.TrackPin.HEADER + "={exact="
                + dev.inference.gateway.routing.TrackPin.AUTO + "}}"), "the mirror matches unpinned calls only: " + steps);
        String virtualService = Files.readString(Manifests.ROOT.resolve("istio/virtualservice-inference-server.yaml"));
        assertFalse(virtualService.contains("exact: " + dev.inference.gateway.routing.TrackPin.AUTO),
                "no pinned route takes the unpinned calls");
    }

    /** The step table of docs/delivery.md is the model's, for the HPA's minimum: the docs cannot go stale. */
    @Test
    void theDocumentedStepTableIsTheModels() throws Exception {
        List<String> rows = Files.readAllLines(Manifests.ROOT.resolve("docs/delivery.md")).stream()
                .filter(line -> line.matches("\\| \\d+ \\|.*")).toList();
        List<State> states = model(strategy, replicas);
        assertEquals(states.size(), rows.size(), "one documented row per step");
        for (State state : states) {
            String[] cells = rows.get(state.index()).split("\\|");
            String documented = String.join(" / ", cells[1].strip(), cells[3].strip(), cells[4].strip(), cells[5].strip(),
                    cells[6].strip());
            String modelled = String.join(" / ", String.valueOf(state.index()), String.valueOf(state.canaryReplicas()),
                    String.valueOf(state.stableReplicas()), String.valueOf(state.canaryWeight()), state.mirrorRoute().orElse(""));
            assertEquals(modelled, documented, "docs/delivery.md, step " + state.index() + " (" + state.step() + ")");
        }
    }

    /**
     * A model ships the way code does: pinning one model image by digest (`kustomize edit set image`)
     * changes the Rollout's pod template and nothing else, exactly as a new server image does. Argo
     * hashes the whole template (ComputeHash in utils/controller/controller.go: fnv32a over the
     * PodTemplateSpec), so either change is a new revision, and its canary runs every step modelled
     * here, its background analysis from the shadow phase on.
     */
    @Test
    void aModelOnlyChangeIsANewPodTemplateLikeACodeChange(@TempDir Path modelChange, @TempDir Path codeChange) throws Exception {
        String digest = "sha256:" + "5e".repeat(32);
        List<Manifest> model = Manifests.builtWith(modelChange,
                Manifests.withImage("ghcr.io/inference-platform/model-sentiment-2", "digest", digest));
        List<String> modelDifferences = differences(Manifests.built(), model);
        assertEquals(1, modelDifferences.size(), modelDifferences.toString());
        assertTrue(modelDifferences.get(0).matches("Rollout inference-server: spec\\.template\\.spec\\.volumes\\[\\d+]\\.image\\.reference"
                + " = ghcr\\.io/inference-platform/model-sentiment-2@" + digest), modelDifferences.get(0));

        List<String> codeDifferences = differences(Manifests.built(), Manifests.builtWith(codeChange,
                Manifests.withImage("ghcr.io/inference-platform/inference-server", "newTag", "0.2.0")));
        assertEquals(List.of("Rollout inference-server: spec.template.spec.containers[0].image"
                + " = ghcr.io/inference-platform/inference-server:0.2.0"), codeDifferences);

        Manifest changed = model.stream().filter(object -> object.kind().equals("Rollout")).findFirst().orElseThrow();
        CanaryStrategy strategyShipped = CanaryStrategy.parse(new Yaml().dump(changed.object()));
        assertEquals(model(strategy, replicas), model(strategyShipped, replicas), "the model change runs the same steps");
    }

    /** Every field that differs between two builds, as "kind name: path = new value". */
    private static List<String> differences(List<Manifest> before, List<Manifest> after) {
        assertEquals(before.size(), after.size(), "the same objects");
        List<String> differences = new ArrayList<>();
        for (Manifest changed : after) {
            Manifest original = before.stream().filter(object -> object.kind().equals(changed.kind())
                    && object.name().equals(changed.name())).findFirst().orElseThrow(() -> new AssertionError("new: " + changed));
            difference(changed.kind() + " " + changed.name() + ": ", "", original.object(), changed.object(), differences);
        }
        return differences;
    }

    private static void difference(String object, String path, Object before, Object after, List<String> differences) {
        if (before instanceof Map<?, ?> was && after instanceof Map<?, ?> is) {
            Set<Object> keys = new java.util.LinkedHashSet<>(was.keySet());
            keys.addAll(is.keySet());
            keys.forEach(key -> difference(object, path + (path.isEmpty() ? "" : ".") + key, was.get(key), is.get(key), differences));
        } else if (before instanceof List<?> was && after instanceof List<?> is && was.size() == is.size()) {
            for (int i = 0; i < was.size(); i++) {
                difference(object, path + "[" + i + "]", was.get(i), is.get(i), differences);
            }
        } else if (!java.util.Objects.equals(before, after)) {
            differences.add(object + path + " = " + after);
        }
    }

    /** The model catches the fault it exists for: a mirror step with nothing to mirror to. */
    @Test
    void modelCatchesAMirrorWithoutCanaryPods() {
        CanaryStrategy unscaled = CanaryStrategy.parse("""
                kind: Rollout
                spec:
                  strategy:
                    canary:
                      abortScaleDownDelaySeconds: 30
                      analysis: {startingStep: 3, templates: [{templateName: inference-canary-latency}]}
                      steps:
                        - setMirrorRoute: {name: mirror, percentage: 20, match: [{method: {exact: POST}}]}
                        - pause: {duration: 5m}
                        - setMirrorRoute: {name: mirror}
                        - setWeight: 10
                        - pause: {}
                """);
        State mirror = model(unscaled, replicas).get(0);
        assertEquals(0, mirror.canaryReplicas(), "CalculateReplicaCountsForTrafficRoutedCanary at weight 0");
        assertEquals(Optional.empty(), mirror.mirrorRoute(), "reconcileTrafficRouting removes managed routes without canary pods");
    }

    private static int mirrorPercentage(int index) {
        for (int i = index; i >= 0; i--) {
            if (strategy.steps().get(i) instanceof SetMirrorRoute route && !route.removes()) {
                return route.percentage();
            }
        }
        return 0;
    }

    // --- the model ---------------------------------------------------------------------------------

    static List<State> model(CanaryStrategy strategy, int replicas) {
        List<State> states = new ArrayList<>();
        Optional<String> mirror = Optional.empty();
        for (int index = 0; index < strategy.steps().size(); index++) {
            Step step = strategy.steps().get(index);
            int weight = currentSetWeight(strategy.steps(), index);
            int canary = useSetCanaryScale(strategy.steps(), index)
                    .map(scale -> scale.replicas().isPresent() ? scale.replicas().getAsInt()
                            : trafficWeightToReplicas(replicas, scale.weight().orElseThrow()))
                    .orElse(trafficWeightToReplicas(replicas, weight));
            if (step instanceof SetMirrorRoute route) {
                mirror = route.removes() ? Optional.empty() : Optional.of(route.name());
            }
            if (canary == 0) {
                // reconcileTrafficRouting: with no available canary pod, never weight to the canary,
                // and remove the managed routes.
                mirror = Optional.empty();
                weight = 0;
            }
            Set<String> analyses = new TreeSet<>();
            if (index >= strategy.startingStep()) {
                analyses.addAll(strategy.backgroundTemplates());
            }
            if (step instanceof Analysis analysis) {
                analyses.addAll(analysis.templates());
            }
            states.add(new State(index, step, canary, replicas, weight, mirror, analyses));
        }
        return states;
    }

    /** The state the controller settles in once an abort at {@code index} has run its course. */
    static State abortedAt(CanaryStrategy strategy, int replicas, int index) {
        // GetCurrentSetWeight returns 0 when aborted; UseSetCanaryScale returns nil when aborted
        // with a positive abortScaleDownDelaySeconds, so the canary's count follows weight 0 once the
        // delay has passed; reconcileTrafficRouting's abort branch removes the managed routes.
        int canary = strategy.abortScaleDownDelay().isZero() ? model(strategy, replicas).get(index).canaryReplicas()
                : trafficWeightToReplicas(replicas, 0);
        return new State(index, strategy.steps().get(index), canary, replicas, 0, Optional.empty(), Set.of());
    }

    /** GetCurrentSetWeight: the last setWeight at or before the current step, else 0. */
    static int currentSetWeight(List<Step> steps, int index) {
        for (int i = index; i >= 0; i--) {
            if (steps.get(i) instanceof SetWeight weight) {
                return weight.percent();
            }
        }
        return 0;
    }

    /** UseSetCanaryScale: the last setCanaryScale at or before the step, unless it matches the weight again. */
    static Optional<SetCanaryScale> useSetCanaryScale(List<Step> steps, int index) {
        for (int i = index; i >= 0; i--) {
            if (steps.get(i) instanceof SetCanaryScale scale) {
                return scale.matchTrafficWeight() ? Optional.empty() : Optional.of(scale);
            }
        }
        return Optional.empty();
    }

    /** trafficWeightToReplicas: rounds up, so any weight above 0 has a pod. */
    static int trafficWeightToReplicas(int replicas, int weight) {
        return (int) Math.ceil(weight * (double) replicas / 100);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
