package dev.inference.delivery.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

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

    @SuppressWarnings("unchecked")
    public static AnalysisTemplate read(Path file) throws IOException {
        Map<String, Object> document = new Yaml().load(Files.readString(file));
        if (!"AnalysisTemplate".equals(document.get("kind"))) {
            throw new IllegalArgumentException(file + " is not an AnalysisTemplate");
        }
        Map<String, Object> spec = (Map<String, Object>) document.get("spec");
        Map<String, String> args = new LinkedHashMap<>();
        for (Map<String, Object> arg : (List<Map<String, Object>>) spec.getOrDefault("args", List.of())) {
            if (arg.containsKey("valueFrom")) {
                throw new IllegalArgumentException(file + ": arg " + arg.get("name") + " uses valueFrom, which the runner cannot resolve");
            }
            args.put((String) arg.get("name"), arg.get("value") == null ? null : String.valueOf(arg.get("value")));
        }
        List<MetricSpec> metrics = new ArrayList<>();
        for (Map<String, Object> metric : (List<Map<String, Object>>) spec.get("metrics")) {
            metrics.add(MetricSpec.read(metric));
        }
        String name = (String) ((Map<String, Object>) document.get("metadata")).get("name");
        AnalysisTemplate template = new AnalysisTemplate(name, args, List.copyOf(metrics));
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
