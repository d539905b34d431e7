package dev.inference.rollouts.orchestration;

import dev.inference.rollouts.analysis.AnalysisRunner;
import dev.inference.rollouts.analysis.AnalysisTemplate;
import dev.inference.rollouts.analysis.Phase;
import dev.inference.rollouts.orchestration.CanaryStrategy.Analysis;
import dev.inference.rollouts.orchestration.CanaryStrategy.Pause;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetCanaryScale;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetMirrorRoute;
import dev.inference.rollouts.orchestration.CanaryStrategy.SetWeight;
import dev.inference.rollouts.orchestration.CanaryStrategy.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The canary steps of rollouts/rollout-inference-server.yaml, run against the local platform:
 * the gateway's canary weight stands in for the VirtualService weights, stopping the canary
 * server for scaling it to zero. The steps are read from the Rollout itself, so the two cannot
 * drift. As in Argo, the background analysis runs from {@code startingStep} to the end, inline
 * analyses block their step, a Failed or Error analysis aborts (weight 0 at once, the canary
 * stopped after {@code abortScaleDownDelaySeconds}) and an Inconclusive one pauses. Scaling and
 * mirroring steps have no local counterpart (one canary process runs throughout; the gateway's
 * shadow comparison runs whenever it is switched on, not only while mirroring) and are logged.
 */
public final class LocalRollout {

    /** Where the rollout stands. */
    public enum State { AT_MANUAL_GATE, PAUSED_INCONCLUSIVE, ABORTED, PROMOTED }

    /** What the rollout acts on. */
    public interface Platform {
        void setCanaryWeight(int percent) throws Exception;

        /** Scales the canary to zero. */
        void stopCanary() throws Exception;
    }

    /** How a rollout ended, and the analyses that decided it. */
    public record Outcome(State state, List<String> steps, AnalysisRunner.Result deciding, long abortedAtNanos) {}

    private final Platform platform;
    private final CanaryStrategy strategy;
    private final AnalysisRunner runner;
    private final Map<String, AnalysisTemplate> templates;
    private final Map<String, String> args;
    private final double timeScale;
    private final Consumer<String> log;

    /**
     * @param templates the AnalysisTemplates by name, as the Rollout's steps refer to them
     * @param timeScale divides every pause and delay (the runner divides the analysis intervals)
     */
    public LocalRollout(Platform platform, CanaryStrategy strategy, AnalysisRunner runner,
            Map<String, AnalysisTemplate> templates, Map<String, String> args, double timeScale, Consumer<String> log) {
        this.platform = platform;
        this.strategy = strategy;
        this.runner = runner;
        this.templates = templates;
        this.args = args;
        this.timeScale = timeScale;
        this.log = log;
    }

    public Outcome run() throws Exception {
        List<String> done = new ArrayList<>();
        // A new canary starts with no traffic (Argo's weight before the first setWeight is 0).
        platform.setCanaryWeight(0);
        Background background = null;
        try {
            for (int index = 0; index < strategy.steps().size(); index++) {
                Step step = strategy.steps().get(index);
                if (background == null && index >= strategy.startingStep()) {
                    background = new Background(templates(strategy.backgroundTemplates()));
                }
                log.accept("step " + index + ": " + step);
                done.add(step.toString());
                AnalysisRunner.Result inline = perform(step, background);
                AnalysisRunner.Result backgroundResult = background != null && background.ended() ? background.stop() : null;
                AnalysisRunner.Result result = merge(backgroundResult, inline);
                if (result != null && (result.phase() == Phase.FAILED || result.phase() == Phase.ERROR)) {
                    return abort(done, result);
                }
                // An Inconclusive run, inline or background, pauses the rollout for a human
                // (reconcileBackgroundAnalysisRun and reconcileStepBasedAnalysisRun in rollout/analysis.go).
                if (result != null && result.phase() == Phase.INCONCLUSIVE) {
                    done.add("paused: inconclusive analysis");
                    return new Outcome(State.PAUSED_INCONCLUSIVE, done,
                            backgroundResult != null ? result : merge(background == null ? null : background.stop(), inline), 0);
                }
                if (step instanceof Pause pause && pause.indefinite()) {
                    return new Outcome(State.AT_MANUAL_GATE, done, background == null ? null : background.stop(), 0);
                }
            }
            throw new IllegalStateException("the Rollout's steps end without the manual gate (pause {})");
        } finally {
            if (background != null) {
                background.stop();
            }
        }
    }

    /** Carries out one step; the result of its inline analysis, if it has one. */
    private AnalysisRunner.Result perform(Step step, Background background) throws Exception {
        if (step instanceof SetWeight weight) {
            platform.setCanaryWeight(weight.percent());
        } else if (step instanceof Pause pause && !pause.indefinite()) {
            sleepUnless(pause.duration().orElseThrow(), background);
        } else if (step instanceof Analysis analysis) {
            return runner.run(templates(analysis.templates()), args, () -> background != null && background.ended());
        } else if (step instanceof SetMirrorRoute) {
            log.accept("  (no local counterpart: the local gateway mirrors nothing; its shadow comparison runs throughout)");
        } else if (step instanceof SetCanaryScale) {
            log.accept("  (no local counterpart: one canary server runs throughout)");
        }
        return null;
    }

    /** Passes the manual gate: all traffic to the new version. */
    public Outcome promote(Outcome atGate) throws Exception {
        if (atGate.state() != State.AT_MANUAL_GATE) {
            throw new IllegalStateException("only a rollout at the manual gate can be promoted, not " + atGate.state());
        }
        platform.setCanaryWeight(100);
        List<String> steps = new ArrayList<>(atGate.steps());
        steps.add("promoted: weight 100");
        log.accept("promoted: canary weight 100%");
        return new Outcome(State.PROMOTED, steps, atGate.deciding(), 0);
    }

    private Outcome abort(List<String> steps, AnalysisRunner.Result result) throws Exception {
        platform.setCanaryWeight(0);
        long abortedAt = System.nanoTime();
        steps.add("aborted: weight 0");
        log.accept("ABORTED: canary weight 0%; the canary stops after abortScaleDownDelaySeconds");
        Thread.sleep(scaled(strategy.abortScaleDownDelay()).toMillis());
        platform.stopCanary();
        steps.add("canary stopped");
        return new Outcome(State.ABORTED, steps, result, abortedAt);
    }

    /** Waits out a timed pause; a background analysis that ends meanwhile ends it early. */
    private void sleepUnless(Duration pause, Background background) throws InterruptedException {
        long end = System.nanoTime() + scaled(pause).toNanos();
        while (System.nanoTime() < end && (background == null || !background.ended())) {
            Thread.sleep(Math.max(1, Math.min(50, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private Duration scaled(Duration duration) {
        return Duration.ofNanos((long) (duration.toNanos() / timeScale));
    }

    private List<AnalysisTemplate> templates(List<String> names) {
        return names.stream().map(name -> {
            AnalysisTemplate template = templates.get(name);
            if (template == null) {
                throw new IllegalArgumentException("the Rollout names AnalysisTemplate " + name + ", which is not among "
                        + templates.keySet());
            }
            return template;
        }).toList();
    }

    private static AnalysisRunner.Result merge(AnalysisRunner.Result first, AnalysisRunner.Result second) {
        if (first == null || second == null) {
            return first == null ? second : first;
        }
        List<AnalysisRunner.MetricResult> metrics = new ArrayList<>(first.metrics());
        metrics.addAll(second.metrics());
        return new AnalysisRunner.Result(first.phase().worse(second.phase()), metrics);
    }

    /** The background analysis: one run from the starting step until stopped or ended badly. */
    private final class Background {
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final CompletableFuture<AnalysisRunner.Result> run;

        Background(List<AnalysisTemplate> background) {
            log.accept("background analysis starts: " + strategy.backgroundTemplates());
            // A thread of its own: the run blocks for the whole rollout, which would hold one of the
            // common pool's few threads (one per core but one) away from everything else that uses it.
            run = CompletableFuture.supplyAsync(() -> {
                try {
                    return runner.run(background, args, stopping::get);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }, task -> {
                Thread thread = new Thread(task, "background-analysis");
                thread.setDaemon(true);
                thread.start();
            });
        }

        boolean ended() {
            return run.isDone();
        }

        AnalysisRunner.Result stop() {
            stopping.set(true);
            return run.join();
        }
    }
}
