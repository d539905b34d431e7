package dev.inference.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The texts a load run sends, in turn: a built-in set of reviews of varied length, or a file's lines. */
public record Corpus(List<String> texts) {

    private static final int LONG_TEXT_PARTS = 5;

    public Corpus {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("the corpus holds no text");
        }
        texts = List.copyOf(texts);
    }

    public static Corpus builtIn() {
        try (InputStream in = Corpus.class.getResourceAsStream("/corpus.txt")) {
            return fromLines(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("the built-in corpus is missing", e);
        }
    }

    /**
     * Short and long texts together, as real traffic mixes them: the built-in reviews, with every
     * third replaced by a long one made of {@code LONG_TEXT_PARTS} reviews in a row. Texts of such
     * different lengths padded into one batch are what a padding bound is for.
     */
    public static Corpus mixedLengths() {
        List<String> reviews = builtIn().texts();
        List<String> mixed = new ArrayList<>(reviews.size());
        for (int i = 0; i < reviews.size(); i++) {
            if (i % 3 == 2) {
                List<String> parts = new ArrayList<>(LONG_TEXT_PARTS);
                for (int part = 0; part < LONG_TEXT_PARTS; part++) {
                    parts.add(reviews.get((i + part) % reviews.size()));
                }
                mixed.add(String.join(" ", parts));
            } else {
                mixed.add(reviews.get(i));
            }
        }
        return new Corpus(mixed);
    }

    /** One text per non-blank line. */
    public static Corpus read(Path file) throws IOException {
        return fromLines(Files.readString(file));
    }

    private static Corpus fromLines(String content) {
        return new Corpus(content.lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList());
    }

    /** The next {@code count} texts, wrapping around. */
    public List<String> next(AtomicInteger cursor, int count) {
        List<String> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            batch.add(texts.get(Math.floorMod(cursor.getAndIncrement(), texts.size())));
        }
        return batch;
    }
}
