package dev.inference.rollouts.analysis;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.inference.rollouts.ManifestYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Argo Rollouts AnalysisTemplate read from its YAML file, the same file that is deployed.
 *
 * @param args declared arguments, with their value where the template gives one (else null)
 */
public record AnalysisTemplate(String name, Map<String, String> args, List<MetricSpec> metrics) {

    private static final Pattern ARG = Pattern.compile("\\{\\{\\s*args\\.([A-Za-z0-9_-]+)\\s*}}");

    /** Every AnalysisTemplate of a folder ({@code analysistemplate-*.yaml}), by name. */
    public static Map<String, AnalysisTemplate> readAll(Path dir) throws IOException {
        Map<String, AnalysisTemplate> templates = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(file -> file.getFileName().toString().matches("analysistemplate-.*\\.yaml")).toList()) {
                AnalysisTemplate template = read(file);
                templates.put(template.name(), template);
            }
        }
        return templates;
    }

    /** The parts of an AnalysisTemplate the runner reads; anything else under spec is refused. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Document(String kind, Metadata metadata, Spec spec) {

        @JsonIgnoreProperties(ignoreUnknown = true)
        record Metadata(String name) {}

        record Spec(List<Arg> args, List<MetricSpec.Document> metrics) {}

        record Arg(String name, String value, Object valueFrom) {}
    }

    public static AnalysisTemplate read(Path file) throws IOException {
        Document document = ManifestYaml.read(Files.readString(file), Document.class, file.toString());
        if (!"AnalysisTemplate".equals(document.kind())) {
            throw new IllegalArgumentException(file + " is not an AnalysisTemplate");
        }
        Map<String, String> args = new LinkedHashMap<>();
        for (Document.Arg arg : Objects.requireNonNullElse(document.spec().args(), List.<Document.Arg>of())) {
            if (arg.valueFrom() != null) {
                throw new IllegalArgumentException(file + ": arg " + arg.name() + " uses valueFrom, which the runner cannot resolve");
            }
            args.put(arg.name(), arg.value());
        }
        List<MetricSpec> metrics = document.spec().metrics().stream().map(MetricSpec::of).toList();
        String name = document.metadata().name();
        AnalysisTemplate template = new AnalysisTemplate(name, args, metrics);
        // Refuses a condition the runner cannot evaluate now, not at the first measurement: every
        // argument stands in as a number, as the templates' conditions use them.
        Map<String, String> placeholders = new LinkedHashMap<>();
        args.keySet().forEach(arg -> placeholders.put(arg, "0"));
        metrics.forEach(metric -> metric.resolve(text -> template.resolve(text, placeholders)));
        return template;
    }

    /** A metric with its arguments: the template's defaults, overridden by {@code given}. */
    MetricSpec.Resolved resolve(MetricSpec metric, Map<String, String> given) {
        return metric.resolve(text -> resolve(text, given));
    }

    /**
     * The text with every {@code {{args.x}}} replaced.
     *
     * @throws IllegalArgumentException for a declared argument without a value, or an undeclared one
     */
    String resolve(String text, Map<String, String> given) {
        Map<String, String> values = new LinkedHashMap<>(args);
        given.forEach((key, value) -> {
            if (values.containsKey(key)) {
                values.put(key, value);
            }
        });
        values.forEach((key, value) -> {
            if (value == null) {
                throw new IllegalArgumentException(name + " needs the argument " + key);
            }
        });
        Matcher matcher = ARG.matcher(text);
        StringBuilder resolved = new StringBuilder();
        while (matcher.find()) {
            String value = values.get(matcher.group(1));
            if (value == null) {
                throw new IllegalArgumentException(name + " uses {{args." + matcher.group(1) + "}}, which it does not declare");
            }
            matcher.appendReplacement(resolved, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(resolved);
        return resolved.toString();
    }
}
