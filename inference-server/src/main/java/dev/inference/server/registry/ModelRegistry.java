package dev.inference.server.registry;

import dev.inference.server.model.ModelRepository;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a server serves, their versions, and which version answers an empty version. Calls
 * read an immutable snapshot; {@link #put} and {@link #remove} publish a new one, so a version
 * changes while serving without a lock on the call path.
 *
 * <p>A call {@linkplain #lease leases} its version from resolving it until its inputs are in the
 * version's queue. A version taken out of the registry is released only once no lease is left and
 * its batcher is idle: a call that found it still runs on it, a call after the change finds the
 * new state. That is what lets a version be replaced or unloaded under load without failing a call.
 */
public final class ModelRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    /** The longest a retired version waits for its calls: as long as a call may queue and run. */
    private static final Duration RETIRE_TIMEOUT = Duration.ofSeconds(30);

    /** One model: its versions in version order and its default version. */
    public record ServedModel(String name, NavigableMap<String, ServedVersion> versions, String defaultVersion) {}

    /** A version a call holds until its inputs are queued; closing it lets the version retire. */
    public static final class Lease implements AutoCloseable {
        private final Slot slot;
        private boolean released;

        private Lease(Slot slot) {
            this.slot = slot;
        }

        public ServedVersion version() {
            return slot.version;
        }

        /** Idempotent, so that every path of a call may close it. */
        @Override
        public void close() {
            if (!released) {
                released = true;
                slot.users.decrementAndGet();
            }
        }
    }

    /** A version in the registry, with the calls that hold it. */
    private static final class Slot {
        final ServedVersion version;
        final AtomicInteger users = new AtomicInteger();
        volatile boolean retired;

        Slot(ServedVersion version) {
            this.version = version;
        }
    }

    private record Snapshot(NavigableMap<String, ServedModel> models, Map<String, NavigableMap<String, Slot>> slots) {}

    private final Map<String, String> pinnedDefaults;
    private volatile Snapshot snapshot;

    /**
     * @param versions every loaded version
     * @param defaultVersions model name to the version that serves requests with an empty version;
     *     a model not named here defaults to its highest version
     * @throws IllegalArgumentException when a default names a model or version that is not loaded
     */
    public ModelRegistry(Collection<ServedVersion> versions, Map<String, String> defaultVersions) {
        this.pinnedDefaults = Map.copyOf(defaultVersions);
        Map<String, NavigableMap<String, Slot>> slots = new TreeMap<>();
        for (ServedVersion version : versions) {
            slots.computeIfAbsent(version.model(), name -> new TreeMap<>(ModelRepository::compareVersions))
                    .put(version.version(), new Slot(version));
        }
        for (Map.Entry<String, String> entry : pinnedDefaults.entrySet()) {
            NavigableMap<String, Slot> modelVersions = slots.get(entry.getKey());
            if (modelVersions == null) {
                throw new IllegalArgumentException("default version given for unknown model \"" + entry.getKey()
                        + "\"; models: " + slots.keySet());
            }
            if (!modelVersions.containsKey(entry.getValue())) {
                throw new IllegalArgumentException("default version \"" + entry.getValue() + "\" of model \""
                        + entry.getKey() + "\" does not exist; versions: " + modelVersions.keySet());
            }
        }
        this.snapshot = snapshot(slots);
    }

    /**
     * The version that serves a request.
     *
     * @param version empty for the model's default version
     * @throws StatusException NOT_FOUND for an unknown model or version; UNAVAILABLE when the
     *     model's configured default version is not loaded at the moment
     */
    public ServedVersion resolve(String model, String version) throws StatusException {
        return slot(snapshot, model, version).version;
    }

    /** As {@link #resolve}, held until the lease is closed: what a call that queues inputs uses. */
    public Lease lease(String model, String version) throws StatusException {
        while (true) {
            Slot slot = slot(snapshot, model, version);
            slot.users.incrementAndGet();
            // A version retires after it left the snapshot: seeing it retired, the next read
            // finds what replaced it. Both fields are volatile, so one of the two sides sees the other.
            if (!slot.retired) {
                return new Lease(slot);
            }
            slot.users.decrementAndGet();
        }
    }

    private static Slot slot(Snapshot snapshot, String model, String version) throws StatusException {
        ServedModel served = model(snapshot, model);
        String wanted = version.isEmpty() ? served.defaultVersion() : version;
        Slot resolved = snapshot.slots().get(model).get(wanted);
        if (resolved == null) {
            Status status = version.isEmpty()
                    ? Status.UNAVAILABLE.withDescription("the default version \"" + wanted + "\" of model \"" + model
                            + "\" is not loaded; loaded versions: " + String.join(", ", served.versions().keySet()))
                    : Status.NOT_FOUND.withDescription("model \"" + model + "\" has no version \"" + wanted
                            + "\"; versions: " + String.join(", ", served.versions().keySet()));
            throw status.asException();
        }
        return resolved;
    }

    /** @throws StatusException NOT_FOUND for an unknown model */
    public ServedModel model(String model) throws StatusException {
        return model(snapshot, model);
    }

    private static ServedModel model(Snapshot snapshot, String model) throws StatusException {
        ServedModel served = snapshot.models().get(model);
        if (served == null) {
            throw Status.NOT_FOUND.withDescription("model \"" + model + "\" not found; models: "
                    + String.join(", ", snapshot.models().keySet())).asException();
        }
        return served;
    }

    public Collection<ServedModel> models() {
        return snapshot.models().values();
    }

    public List<ServedVersion> versions() {
        return models().stream().flatMap(model -> model.versions().values().stream()).toList();
    }

    /** Whether this version serves calls now. */
    public boolean serves(String model, String version) {
        NavigableMap<String, Slot> versions = snapshot.slots().get(model);
        return versions != null && versions.containsKey(version);
    }

    /**
     * Serves {@code version} from now on; a version it replaces (same model and version) retires:
     * returns once that one's calls have finished and it is closed.
     */
    public void put(ServedVersion version) {
        Slot replaced;
        synchronized (this) {
            Map<String, NavigableMap<String, Slot>> slots = copy(snapshot.slots());
            replaced = slots.computeIfAbsent(version.model(), name -> new TreeMap<>(ModelRepository::compareVersions))
                    .put(version.version(), new Slot(version));
            snapshot = snapshot(slots);
        }
        if (replaced != null) {
            retire(replaced);
        }
    }

    /**
     * Stops serving a version: calls from now on do not find it; returns once the calls that did
     * have finished and it is closed.
     *
     * @return whether the version was served
     */
    public boolean remove(String model, String version) {
        Slot removed;
        synchronized (this) {
            Map<String, NavigableMap<String, Slot>> slots = copy(snapshot.slots());
            NavigableMap<String, Slot> versions = slots.get(model);
            removed = versions == null ? null : versions.remove(version);
            if (removed == null) {
                return false;
            }
            if (versions.isEmpty()) {
                slots.remove(model);
            }
            snapshot = snapshot(slots);
        }
        retire(removed);
        return true;
    }

    private static void retire(Slot slot) {
        slot.retired = true;
        long deadline = System.nanoTime() + RETIRE_TIMEOUT.toNanos();
        try {
            while (slot.users.get() > 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            long left = Math.max(0, deadline - System.nanoTime());
            if (slot.users.get() > 0 || !slot.version.batcher().awaitIdle(Duration.ofNanos(left))) {
                log.warn("{}/{} still had calls {} s after it was retired; closing it fails them",
                        slot.version.model(), slot.version.version(), RETIRE_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        slot.version.close();
    }

    private static Map<String, NavigableMap<String, Slot>> copy(Map<String, NavigableMap<String, Slot>> slots) {
        Map<String, NavigableMap<String, Slot>> copy = new TreeMap<>();
        slots.forEach((model, versions) -> copy.put(model, new TreeMap<>(versions)));
        return copy;
    }

    private Snapshot snapshot(Map<String, NavigableMap<String, Slot>> slots) {
        NavigableMap<String, ServedModel> served = new TreeMap<>();
        slots.forEach((name, versions) -> {
            NavigableMap<String, ServedVersion> byVersion = new TreeMap<>(ModelRepository::compareVersions);
            versions.forEach((version, slot) -> byVersion.put(version, slot.version));
            served.put(name, new ServedModel(name, Collections.unmodifiableNavigableMap(byVersion),
                    pinnedDefaults.getOrDefault(name, byVersion.lastKey())));
        });
        return new Snapshot(Collections.unmodifiableNavigableMap(served), slots);
    }

    /** Drains every batcher, then releases the models. */
    @Override
    public void close() {
        List<ServedVersion> all = new ArrayList<>(versions());
        all.parallelStream().forEach(ServedVersion::close);
    }
}
