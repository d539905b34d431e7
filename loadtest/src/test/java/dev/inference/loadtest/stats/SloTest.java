package dev.inference.loadtest.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SloTest {

    private static final RunResult RESULT = new RunResult("test", "concurrency 8", 10, 1000, 1,
            Map.of("OK", 990L, "UNAVAILABLE", 10L),
            Map.of("p50", 20.0, "p90", 120.0, "p99", 280.0, "p99.9", 450.0, "max", 900.0), List.of());

    @Test
    void readsLatencyErrorAndThroughputObjectivesInAnyUnit() {
        Slo slo = Slo.parse("p99<300ms, errors<1%, p50<0.1s, max<1000000us, rps>50");

        assertEquals(5, slo.objectives().size());
        assertEquals(300, slo.objectives().get(0).limit());
        assertEquals(0.01, slo.objectives().get(1).limit(), 1e-12);
        assertEquals(100, slo.objectives().get(2).limit(), 1e-9);
        assertEquals(1000, slo.objectives().get(3).limit(), 1e-9);
        assertEquals(List.of("errors<1% broken: measured 1.000%"), slo.violations(RESULT));
    }

    @Test
    void reportsEveryBrokenObjectiveWithTheMeasuredValue() {
        List<String> violations = Slo.parse("p99<250ms,p99.9<400ms,rps>200").violations(RESULT);

        assertEquals(List.of("p99<250ms broken: measured 280.000 ms", "p99.9<400ms broken: measured 450.000 ms",
                "rps>200 broken: measured 100.0/s"), violations);
    }

    @Test
    void refusesWhatItCannotRead() {
        for (String bad : new String[] {"p99<300", "p42<1ms", "errors<1", "errors>1%", "p99>3ms", "rps<5", "latency fast"}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Slo.parse(bad), bad);
            assertTrue(error.getMessage().contains("\""), error.getMessage());
        }
    }
}
