package dev.inference.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AgreementWindowTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AgreementWindow window = new AgreementWindow(60, now::get);

    @Test
    void agreementOverTheLastSecondsOfTheLatestRevision() {
        window.record("a1", 3, 1);
        now.addAndGet(5_000);
        window.record("a1", 5, 1);

        assertEquals(Optional.of(new AgreementWindow.Summary("a1", 10, 0.8)), window.summary(60));
        assertEquals(Optional.of(new AgreementWindow.Summary("a1", 6, 5.0 / 6)), window.summary(3), "the older second left out");

        now.addAndGet(61_000);
        assertEquals(Optional.empty(), window.summary(60), "nothing compared in the last minute");
    }

    @Test
    void anotherCanaryRevisionStartsAfresh() {
        window.record("a1", 0, 10);
        window.record("b2", 9, 1);

        assertEquals(Optional.of(new AgreementWindow.Summary("b2", 10, 0.9)), window.summary(60));
    }
}
