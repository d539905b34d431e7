package dev.inference.loadtest.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a warm-up counts as steady: CPU per text no longer falling and the JIT quiet. */
class SteadyStateTest {

    private final SteadyState rule = new SteadyState(Duration.ofSeconds(10), 4, 20);

    @Test
    void costStillFallingIsNotSteady() {
        assertFalse(rule.steady(windows(new double[] {2.4, 2.0, 1.8, 1.6, 1.5}, 0)));
    }

    @Test
    void twoWindowsInARowNoCheaperThanTheBestBeforeThemAreSteady() {
        assertTrue(rule.steady(windows(new double[] {2.4, 1.6, 1.5, 1.52, 1.49}, 0)));
        assertFalse(rule.steady(windows(new double[] {2.4, 1.6, 1.5, 1.52, 1.40}, 0)), "the last fell by 7%");
    }

    @Test
    void aBusyJitCompilerIsNotSteadyEvenWhenTheCostIsFlat() {
        assertFalse(rule.steady(windows(new double[] {1.5, 1.5, 1.5, 1.5, 1.5}, 0.05)));
        assertTrue(rule.steady(windows(new double[] {1.5, 1.5, 1.5, 1.5, 1.5}, 0.01)));
    }

    @Test
    void neverBeforeTheFewestWindows() {
        assertFalse(rule.steady(windows(new double[] {1.5, 1.5, 1.5}, 0)));
    }

    /** Windows of 1,000 ms of CPU with these costs per text, the JIT taking {@code jitShare} of each. */
    private static List<SteadyState.Window> windows(double[] cpuMillisPerText, double jitShare) {
        List<SteadyState.Window> windows = new ArrayList<>();
        for (int i = 0; i < cpuMillisPerText.length; i++) {
            windows.add(new SteadyState.Window(i, 1000 / cpuMillisPerText[i], cpuMillisPerText[i], 20,
                    1000 * jitShare, 1000));
        }
        return windows;
    }
}
