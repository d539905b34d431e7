package dev.inference.delivery.analysis;

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
 * server for scaling it to zero. Weights go 10, 25, 50 with the background analysis running and
 * the traffic gate after 10; the rollout then waits at the manual gate for {@link #promote()}.
 * A Failed or Error analysis aborts as Argo does: weight 0 at once, then the canary stops.
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

    static final int[] WEIGHTS = {10, 25, 50};
    static final Duration STEP_PAUSE = Duration.ofMinutes(5);

    private final Platform platform;
    private final AnalysisRunner runner;
    private final List<AnalysisTemplate> background;
    private final AnalysisTemplate trafficGate;
    private final Map<String, String> args;
    private final double timeScale;
    private final Consumer<String> log;

    public LocalRollout(Platform platform, AnalysisRunner runner, List<AnalysisTemplate> background,
            AnalysisTemplate trafficGate, Map<String, String> args, double timeScale, Consumer<String> log) {
        this.platform = platform;
        this.runner = runner;
        this.background = background;
        this.trafficGate = trafficGate;
        this.args = args;
        this.timeScale = timeScale;
        this.log = log;
    }

    public Outcome run() throws Exception {
        List<String> steps = new ArrayList<>();
        AnalysisRunner.Result last = null;
        for (int weight : WEIGHTS) {
            platform.setCanaryWeight(weight);
            steps.add("setWeight " + weight);
            log.accept("canary weight " + weight + "%");
            AnalysisRunner.Result result = weight == WEIGHTS[0] ? gateStep() : pauseStep();
            last = result;
            log.accept("analysis at " + weight + "%: " + result.phase());
            if (result.phase() == Phase.FAILED || result.phase() == Phase.ERROR) {
                return abort(steps, result);
            }
            if (result.phase() == Phase.INCONCLUSIVE) {
                steps.add("paused: inconclusive analysis");
                return new Outcome(State.PAUSED_INCONCLUSIVE, steps, result, 0);
            }
        }
        steps.add("pause {} (promote to finish)");
        return new Outcome(State.AT_MANUAL_GATE, steps, last, 0);
    }

    /**
     * The first weight step lasts as long as the traffic gate (an inline analysis step), while the
     * background analysis runs beside it; a background failure ends the step early.
     */
    private AnalysisRunner.Result gateStep() throws Exception {
        AtomicBoolean gateDone = new AtomicBoolean();
        CompletableFuture<AnalysisRunner.Result> backgroundRun = CompletableFuture.supplyAsync(() -> {
            try {
                return runner.run(background, args, gateDone::get);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        AnalysisRunner.Result gate = runner.run(List.of(trafficGate), args, backgroundRun::isDone);
        gateDone.set(true);
        AnalysisRunner.Result backgroundResult = backgroundRun.get();
        List<AnalysisRunner.MetricResult> metrics = new ArrayList<>(backgroundResult.metrics());
        metrics.addAll(gate.metrics());
        return new AnalysisRunner.Result(backgroundResult.phase().worse(gate.phase()), metrics);
    }

    /** A timed pause with the background analysis running. */
    private AnalysisRunner.Result pauseStep() throws Exception {
        long end = System.nanoTime() + (long) (STEP_PAUSE.toNanos() / timeScale);
        return runner.run(background, args, () -> System.nanoTime() > end);
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
        log.accept("ABORTED: canary weight 0%, stopping the canary");
        platform.stopCanary();
        steps.add("canary stopped");
        return new Outcome(State.ABORTED, steps, result, abortedAt);
    }
}
