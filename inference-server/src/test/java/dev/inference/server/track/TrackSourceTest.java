package dev.inference.server.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackSourceTest {

    @Test
    void readsTheTrackLabelOfTheDownwardApiFormat() {
        String labels = "app=\"inference-server\"\nrollouts-pod-template-hash=\"6d4f8\"\ntrack=\"canary\"\n";

        assertEquals(Optional.of("canary"), TrackSource.parseLabel(labels, "track"));
        assertEquals(Optional.empty(), TrackSource.parseLabel(labels, "zone"));
    }

    @Test
    void followsTheLabelsFileWhenTheKubeletRewritesIt(@TempDir Path dir) throws Exception {
        Path labels = dir.resolve("labels");
        Files.writeString(labels, "track=\"canary\"\n");
        try (TrackSource track = TrackSource.fromPodLabels(labels, "stable", "local", Duration.ofMillis(20))) {
            assertEquals("stable", track.current(), "built, not started: the file is not read yet");
            track.start();
            assertEquals("canary", track.current());

            // Promotion relabels the pod; the kubelet swaps the file in place.
            Path next = dir.resolve("labels.next");
            Files.writeString(next, "track=\"stable\"\n");
            Files.move(next, labels, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            awaitTrack(track, "stable");

            Files.delete(labels);
            Files.writeString(labels, "track=\"canary\"\n");
            awaitTrack(track, "canary");
        }
    }

    @Test
    void revisionIsThePodTemplateHashOrTheFallback(@TempDir Path dir) throws Exception {
        Path labels = dir.resolve("labels");
        Files.writeString(labels, "rollouts-pod-template-hash=\"6d4f8c9b7\"\ntrack=\"canary\"\n");
        try (TrackSource pod = TrackSource.fromPodLabels(labels, "stable", "local", Duration.ofSeconds(1))) {
            pod.start();
            assertEquals("6d4f8c9b7", pod.revision());
        }
        try (TrackSource elsewhere = TrackSource.fromPodLabels(dir.resolve("absent"), "stable", "local", Duration.ofSeconds(1))) {
            elsewhere.start();
            assertEquals("local", elsewhere.revision());
        }
    }

    @Test
    void fallsBackWhenTheFileOrLabelIsMissingOrMalformed(@TempDir Path dir) throws Exception {
        try (TrackSource missing = TrackSource.fromPodLabels(dir.resolve("absent"), "stable", "local", Duration.ofSeconds(1))) {
            missing.start();
            assertEquals("stable", missing.current());
        }
        Path labels = dir.resolve("labels");
        Files.writeString(labels, "track=\"not a label value!\"\n");
        try (TrackSource malformed = TrackSource.fromPodLabels(labels, "stable", "local", Duration.ofSeconds(1))) {
            malformed.start();
            assertEquals("stable", malformed.current());
        }
    }

    @Test
    void fixedTrackMustBeALabelValue() {
        assertEquals("canary", TrackSource.fixed("canary", "local").current());
        assertThrows(IllegalArgumentException.class, () -> TrackSource.fixed("canary track", "local"));
        assertThrows(IllegalArgumentException.class, () -> TrackSource.fixed("canary", "a revision"));
    }

    private static void awaitTrack(TrackSource track, String expected) {
        Awaitility.await("the track becomes " + expected).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertEquals(expected, track.current()));
    }
}
