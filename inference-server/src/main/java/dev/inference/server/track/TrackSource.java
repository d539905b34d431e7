package dev.inference.server.track;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which rollout track this server belongs to ({@code stable} or {@code canary}), returned to
 * clients in the {@code x-model-track} header so the gateway can pin users to a track.
 *
 * <p>In Kubernetes the Rollout labels pods with {@code track}, and a downward-API volume exposes
 * the labels as a file that the kubelet rewrites when the labels change (on promotion). The file
 * is polled rather than watched: the kubelet swaps a symlink, which file watchers see unreliably.
 */
public final class TrackSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrackSource.class);
    private static final String TRACK_LABEL = "track";
    /** Kubernetes label values, which are also safe as an ASCII header value. */
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");

    private final String fallback;
    private final Path podLabelsFile;
    private final ScheduledExecutorService poller;
    private volatile String current;

    private TrackSource(String fallback, Path podLabelsFile, ScheduledExecutorService poller) {
        this.fallback = fallback;
        this.podLabelsFile = podLabelsFile;
        this.poller = poller;
        this.current = fallback;
    }

    /** A track that never changes. */
    public static TrackSource fixed(String track) {
        return new TrackSource(checked(track), null, null);
    }

    /**
     * The {@code track} label of a downward-API labels file, re-read every {@code pollInterval};
     * {@code fallback} while the file or the label is missing.
     */
    public static TrackSource fromPodLabels(Path podLabelsFile, String fallback, long pollMillis) {
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "track-poller");
            thread.setDaemon(true);
            return thread;
        });
        TrackSource source = new TrackSource(checked(fallback), podLabelsFile, poller);
        source.reload();
        poller.scheduleWithFixedDelay(source::reload, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
        return source;
    }

    public String current() {
        return current;
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

    private static String checked(String track) {
        if (!LABEL_VALUE.matcher(track).matches()) {
            throw new IllegalArgumentException("track must be a Kubernetes label value"
                    + " (letters, digits, '.', '_', '-'; at most 63), was \"" + track + "\"");
        }
        return track;
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
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
