package dev.inference.gateway.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of {@code --api-keys-file}: one client a line, {@code <client-id> <sha256 hex of
 * the key>}, then optionally {@code models=<name>,<name>} (the only models it may call) and
 * {@code admin} (it may change traffic); {@code #} starts a comment. Only hashes are at rest.
 *
 * <p>The file is looked at again at most once a {@link #RECHECK}, when a key is presented, and
 * read anew when its modification time, size or identity changed (a Kubernetes Secret volume swaps
 * a symbolic link), so a key is added or revoked without a restart. A file that no longer parses
 * leaves the keys as they were and says why in one log line.
 */
final class ApiKeys {

    static final Duration RECHECK = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    private record Entry(String clientId, byte[] sha256, Caller caller) {}

    private record Loaded(List<Entry> entries, Object version) {}

    private final Path file;
    private final LongSupplier nanoClock;
    private final AtomicLong lastCheck;
    private volatile Loaded loaded;

    /** @throws IllegalArgumentException when the file cannot be read or a line is malformed */
    ApiKeys(Path file) {
        this(file, System::nanoTime);
    }

    ApiKeys(Path file, LongSupplier nanoClock) {
        this.file = file;
        this.nanoClock = nanoClock;
        try {
            this.loaded = read();
        } catch (IOException e) {
            throw new IllegalArgumentException("--api-keys-file " + file + " cannot be read: " + e.getMessage(), e);
        }
        this.lastCheck = new AtomicLong(nanoClock.getAsLong());
    }

    /** The client whose key this is; every entry is compared, in constant time, whether or not one matched. */
    Caller authenticate(String key) throws Refused {
        recheck();
        byte[] presented = sha256(key);
        Caller found = null;
        for (Entry entry : loaded.entries()) {
            if (MessageDigest.isEqual(entry.sha256(), presented) && found == null) {
                found = entry.caller();
            }
        }
        if (found == null) {
            throw new Refused("invalid_key", "-", "the API key is not valid");
        }
        return found;
    }

    int size() {
        return loaded.entries().size();
    }

    private void recheck() {
        long now = nanoClock.getAsLong();
        long last = lastCheck.get();
        if (now - last < RECHECK.toNanos() || !lastCheck.compareAndSet(last, now)) {
            return;
        }
        try {
            if (!Objects.equals(version(), loaded.version())) {
                Loaded fresh = read();
                loaded = fresh;
                log.info("API keys reloaded from {}: {} clients", file, fresh.entries().size());
            }
        } catch (IOException | IllegalArgumentException e) {
            log.error("API keys in {} not reloaded, the previous {} stay: {}", file, loaded.entries().size(), e.getMessage());
        }
    }

    private Object version() throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(attributes.lastModifiedTime(), attributes.size(), String.valueOf(attributes.fileKey()));
    }

    private Loaded read() throws IOException {
        Object version = version();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Entry> entries = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).replaceFirst("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            Entry entry = parse(line, file + ":" + (i + 1));
            if (!ids.add(entry.clientId())) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": client " + entry.clientId() + " is listed twice");
            }
            entries.add(entry);
        }
        return new Loaded(List.copyOf(entries), version);
    }

    private static Entry parse(String line, String where) {
        String[] fields = line.split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException(where + ": expected '<client-id> <sha256 hex of the key> [models=a,b] [admin]'");
        }
        if (!fields[1].matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException(where + ": the second field must be the key's SHA-256 as 64 hex digits");
        }
        Optional<Set<String>> models = Optional.empty();
        boolean admin = false;
        for (int i = 2; i < fields.length; i++) {
            if (fields[i].startsWith("models=")) {
                models = Optional.of(Set.of(fields[i].substring("models=".length()).split(",")));
            } else if (fields[i].equals("admin")) {
                admin = true;
            } else {
                throw new IllegalArgumentException(where + ": unknown field '" + fields[i] + "' (models=a,b or admin)");
            }
        }
        return new Entry(fields[0], HexFormat.of().parseHex(fields[1].toLowerCase(java.util.Locale.ROOT)),
                new Caller(fields[0], models, admin));
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
