package dev.inference.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

    @TempDir
    Path dir;

    @Test
    void aKeyNamesItsClientWithItsModelsAndRole() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), String.join("\n", "# clients of the platform",
                TestKeys.line("search-app", "key-one"), "", TestKeys.line("ops", "key-two", "admin") + "  # the on-call tooling",
                TestKeys.line("batch-job", "key-three", "models=sentiment,tabular")) + "\n");
        ApiKeys keys = new ApiKeys(file);

        assertEquals(new Caller("search-app", Optional.empty(), false), keys.authenticate("key-one"));
        assertTrue(keys.authenticate("key-two").admin());
        Caller restricted = keys.authenticate("key-three");
        assertEquals(Optional.of(Set.of("sentiment", "tabular")), restricted.models());
        assertTrue(restricted.mayCall("tabular"));
        assertFalse(restricted.mayCall("other"));
        Refused refused = assertThrows(Refused.class, () -> keys.authenticate("key-four"));
        assertEquals("invalid_key", refused.reason());
    }

    @Test
    void anEditedFileAddsAndRevokesKeysAfterTheRecheckInterval() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), TestKeys.line("a", "key-a") + "\n");
        AtomicLong now = new AtomicLong();
        ApiKeys keys = new ApiKeys(file, now::get);
        assertEquals("a", keys.authenticate("key-a").id());

        Files.writeString(file, TestKeys.line("b", "key-b") + "\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("a", keys.authenticate("key-a").id(), "not looked at again within a second");
        now.addAndGet(ApiKeys.RECHECK.toNanos());

        assertThrows(Refused.class, () -> keys.authenticate("key-a"), "revoked");
        assertEquals("b", keys.authenticate("key-b").id(), "added");
    }

    @Test
    void aFileThatNoLongerParsesKeepsTheKeysItHad() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), TestKeys.line("a", "key-a") + "\n");
        AtomicLong now = new AtomicLong();
        ApiKeys keys = new ApiKeys(file, now::get);

        Files.writeString(file, "a not-a-hash\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        now.addAndGet(ApiKeys.RECHECK.toNanos());

        assertEquals("a", keys.authenticate("key-a").id());
    }

    @Test
    void aMalformedFileIsRefusedAtStartNamingTheLine() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), TestKeys.line("a", "key-a") + "\n" + TestKeys.line("a", "key-b") + "\nb 1234\n");
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new ApiKeys(file));
        assertTrue(twice.getMessage().contains("keys:2: client a is listed twice"), twice.getMessage());

        Files.writeString(file, "b 1234\n");
        IllegalArgumentException hash = assertThrows(IllegalArgumentException.class, () -> new ApiKeys(file));
        assertTrue(hash.getMessage().contains("keys:1: the second field must be the key's SHA-256"), hash.getMessage());

        Files.writeString(file, TestKeys.line("c", "key-c", "owner=me") + "\n");
        IllegalArgumentException field = assertThrows(IllegalArgumentException.class, () -> new ApiKeys(file));
        assertTrue(field.getMessage().contains("unknown field 'owner=me'"), field.getMessage());
    }
}
