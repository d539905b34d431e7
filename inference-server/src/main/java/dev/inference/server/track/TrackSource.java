package dev.inference.server.track;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which rollout track this server belongs to ({@code stable} or {@code canary}) and which revision
 * of the pod template it runs, returned to clients in the {@code x-model-track} and
 * {@code x-model-revision} headers: the gateway pins users to a track with the first, and compares
 * shadowed answers only between two revisions with the second.
 *
 * <p>In Kubernetes the Rollout labels pods with {@code track}, and a downward-API volume exposes
 * the labels as a file that the kubelet rewrites when the labels change (on promotion). The file
 * is polled rather than watched: the kubelet swaps a symlink, which file watchers see unreliably.
 */
public final class TrackSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrackSource.class);
    private static final String TRACK_LABEL = "track";
    /** Set by Argo Rollouts on every pod of a ReplicaSet: one value per pod template. */
    private static final String REVISION_LABEL = "rollouts-pod-template-hash";
    /** Kubernetes label values, which are also safe as an ASCII header value. */
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");

    private final String fallback;
    private final String fallbackRevision;
    private final Path podLabelsFile;
    private final Duration pollInterval;
    private ScheduledExecutorService poller;
    private volatile String current;
    private volatile String revision;

    private TrackSource(String fallback, String fallbackRevision, Path podLabelsFile, Duration pollInterval) {
        this.fallback = requireLabelValue(fallback, "--track");
        this.fallbackRevision = requireLabelValue(fallbackRevision, "--revision");
        this.podLabelsFile = podLabelsFile;
        this.pollInterval = pollInterval;
        this.current = fallback;
        this.revision = fallbackRevision;
    }

    /** A track and revision that never change. */
    public static TrackSource fixed(String track, String revision) {
        return new TrackSource(track, revision, null, null);
    }

    /**
     * The {@code track} label of a downward-API labels file, re-read every {@code pollInterval}
     * once {@link #start() started}, {@code fallback} while the file or the label is missing; the
     * revision label, read once at start (a pod's template never changes), {@code fallbackRevision}
     * without one.
     */
    public static TrackSource fromPodLabels(Path podLabelsFile, String fallback, String fallbackRevision,
            Duration pollInterval) {
        return new TrackSource(fallback, fallbackRevision, podLabelsFile, pollInterval);
    }

    /** Reads the labels file, if any, and keeps polling it until {@link #close()}. */
    public synchronized void start() {
        if (podLabelsFile == null || poller != null) {
            return;
        }
        try {
            revision = parseLabel(Files.readString(podLabelsFile), REVISION_LABEL)
                    .filter(label -> LABEL_VALUE.matcher(label).matches()).orElse(fallbackRevision);
        } catch (IOException missing) {
            // The kubelet writes the file before the container starts; without it, the fallback.
        }
        reload();
        poller = Executors.newSingleThreadScheduledExecutor(
                new ThreadFactoryBuilder().setNameFormat("track-poller").setDaemon(true).build());
        poller.scheduleWithFixedDelay(this::reload, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String current() {
        return current;
    }

    /** The pod-template hash of this server's pod, or the configured revision outside one. */
    public String revision() {
        return revision;
    }

    private void reload() {
        String track = readTrack().orElse(fallback);
        if (!track.equals(current)) {
            log.info("track changed from {} to {} ({})", current, track, podLabelsFile);
            current = track;
        }
    }

    private Optional<String> readTrack() {
        try {
            Optional<String> track = parseLabel(Files.readString(podLabelsFile), TRACK_LABEL);
            if (track.isPresent() && !LABEL_VALUE.matcher(track.get()).matches()) {
                log.warn("ignoring track label {} in {}: not a label value", track.get(), podLabelsFile);
                return Optional.empty();
            }
            return track;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("cannot read pod labels from {}: {}", podLabelsFile, e.toString());
            return Optional.of(current);
        }
    }

    /** {@code value}, when it is a Kubernetes label value (and so safe as a header value). */
    public static String requireLabelValue(String value, String what) {
        if (value == null || !LABEL_VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a Kubernetes label value"
                    + " (letters, digits, '.', '_', '-'; at most 63), was \"" + value + "\"");
        }
        return value;
    }

    /** The value of one label in the downward-API format: one {@code key="value"} per line. */
    static Optional<String> parseLabel(String labels, String key) {
        for (String line : labels.split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0 && line.substring(0, equals).strip().equals(key)) {
                String value = line.substring(equals + 1).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.isEmpty() ? Optional.empty() : Optional.of(value);
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
