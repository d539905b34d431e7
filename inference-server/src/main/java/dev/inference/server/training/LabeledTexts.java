package dev.inference.server.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A labeled text set in the format {@code label<TAB>text}, one per line; blank lines and lines
 * starting with {@code #} are skipped.
 */
public record LabeledTexts(List<String> labels, List<String> texts) {

    public LabeledTexts {
        if (labels.size() != texts.size()) {
            throw new IllegalArgumentException("one label per text");
        }
        labels = List.copyOf(labels);
        texts = List.copyOf(texts);
    }

    public static LabeledTexts read(Path file) throws IOException {
        List<String> labels = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            if (tab <= 0 || tab == line.length() - 1) {
                throw new IOException(file + ":" + (i + 1) + ": expected label<TAB>text");
            }
            labels.add(line.substring(0, tab).strip());
            texts.add(line.substring(tab + 1).strip());
        }
        return new LabeledTexts(labels, texts);
    }

    public int size() {
        return texts.size();
    }
}
