package dev.inference.server.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A version folder's list of its own files and their SHA-256 digests, {@value #FILE_NAME}, in
 * {@code sha256sum}'s format (so {@code sha256sum -c} checks it too). A model image carries it beside
 * the files and the same list in its labels (images/build-model-image.sh): a folder that has it
 * loads only if every file is listed and matches, so an image whose files were changed after it was
 * built is refused at start. A folder without it loads as it is.
 */
public final class FileDigests {

    public static final String FILE_NAME = "model-files.sha256";

    private FileDigests() {}

    /** @throws IOException naming the first file that is missing, unlisted or different */
    public static void verify(Path versionDir) throws IOException {
        Path list = versionDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(list)) {
            return;
        }
        Map<String, String> listed = new LinkedHashMap<>();
        for (String line : Files.readAllLines(list)) {
            if (line.isBlank()) {
                continue;
            }
            // sha256sum writes "<hex>  <path>", or "<hex> *<path>" in binary mode.
            String[] fields = line.split(" [ *]", 2);
            if (fields.length != 2 || !fields[0].matches("[0-9a-f]{64}")) {
                throw new IOException(list + " is not a sha256sum list: \"" + line + "\"");
            }
            listed.put(fields[1], fields[0]);
        }
        TreeSet<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.walk(versionDir)) {
            files.filter(Files::isRegularFile).map(file -> versionDir.relativize(file).toString())
                    .filter(name -> !name.equals(FILE_NAME)).forEach(present::add);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        for (Map.Entry<String, String> file : listed.entrySet()) {
            if (!present.remove(file.getKey())) {
                throw new IOException("model version " + versionDir + " lacks " + file.getKey() + ", which " + FILE_NAME
                        + " lists");
            }
            String actual = sha256(versionDir.resolve(file.getKey()));
            if (!actual.equals(file.getValue())) {
                throw new IOException("model version " + versionDir + ": " + file.getKey() + " has SHA-256 " + actual
                        + ", but " + FILE_NAME + " (and the model image's label) says " + file.getValue()
                        + ": the files changed after the image was built");
            }
        }
        if (!present.isEmpty()) {
            throw new IOException("model version " + versionDir + " has files " + FILE_NAME + " does not list: "
                    + List.copyOf(present));
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
