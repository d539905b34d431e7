package dev.inference.loadtest.bench;

import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.stats.RunResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Warms the platform up under load until it is steady, window by window: a fixed warm-up measures
 * the JIT compiler as much as the server (in the first seconds it can take a third of the CPU).
 * Steady means the platform's CPU per text has stopped falling (two windows in a row within
 * {@link #TOLERANCE} of the best before them) and the server's JIT compiler has quietened (less
 * than {@link #JIT_SHARE} of the window's CPU). The windows are kept: from a fresh server they are
 * its first minutes, window by window.
 */
final class SteadyState {

    /** One window of load: what it served, what it cost, and how much of it the JIT took. */
    record Window(int index, double textsPerSecond, double cpuMillisPerText, double p99Millis, double jitMillis,
            double cpuMillis) {

        double jitShare() {
            return jitMillis / cpuMillis;
        }
    }

    static final double TOLERANCE = 0.03;
    static final double JIT_SHARE = 0.02;

    private final Duration window;
    private final int minWindows;
    private final int maxWindows;

    SteadyState(Duration window, int minWindows, int maxWindows) {
        this.window = window;
        this.minWindows = minWindows;
        this.maxWindows = maxWindows;
    }

    /**
     * Runs {@code load} window by window until the platform is steady or {@code maxWindows} have
     * passed; {@code server} is the process whose JIT is watched, {@code platform} every process
     * whose CPU counts.
     */
    List<Window> warm(LoadRun load, ServerProcess server, List<ServerProcess> platform) throws Exception {
        List<Window> windows = new ArrayList<>();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        while (windows.size() < maxWindows) {
            double cpuBefore = ServerProcess.cpuSeconds(platform);
            double jitBefore = server.jitSeconds();
            RunResult result = load.run("warm-up", Duration.ZERO, window, quiet);
            double cpu = ServerProcess.cpuSeconds(platform) - cpuBefore;
            double jit = server.jitSeconds() - jitBefore;
            long texts = result.calls() * result.instancesPerCall();
            windows.add(new Window(windows.size(), result.instancesPerSecond(), cpu * 1000 / texts,
                    result.latencyMillis().get("p99"), jit * 1000, cpu * 1000));
            if (steady(windows)) {
                break;
            }
        }
        return windows;
    }

    /** The windows' CPU ms per text, for a report. */
    static List<String> costs(List<Window> windows) {
        return windows.stream().map(window -> String.format(Locale.ROOT, "%.2f", window.cpuMillisPerText())).toList();
    }

    boolean steady(List<Window> windows) {
        int last = windows.size() - 1;
        if (windows.size() < Math.max(minWindows, 3)) {
            return false;
        }
        boolean jitQuiet = Double.isNaN(windows.get(last).jitMillis()) || windows.get(last).jitShare() < JIT_SHARE;
        return jitQuiet && notFalling(windows, last) && notFalling(windows, last - 1);
    }

    /** Window {@code i} costs no less than the best before it, give or take the tolerance. */
    private static boolean notFalling(List<Window> windows, int i) {
        double best = windows.subList(0, i).stream().mapToDouble(Window::cpuMillisPerText).min().orElseThrow();
        return windows.get(i).cpuMillisPerText() >= (1 - TOLERANCE) * best;
    }
}
