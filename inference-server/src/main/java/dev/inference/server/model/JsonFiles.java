package dev.inference.server.model;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the small JSON files of a model version, with errors that name the file and the problem. */
public final class JsonFiles {

    private static final Gson GSON = new Gson();

    private JsonFiles() {}

    public static <T> T read(Path file, Class<T> type) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            T value = GSON.fromJson(reader, type);
            if (value == null) {
                throw new IOException(file + " is empty");
            }
            return value;
        } catch (RuntimeException e) {
            // Gson wraps a record constructor's validation error; its message is the useful one.
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            throw new IOException(file + " is invalid: " + cause.getMessage(), e);
        }
    }
}
