package dev.inference.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a PromQL expression reads, for checking them against what is really exported. */
public final class PromQl {

    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern LABEL_LISTS =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern SELECTORS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^\\]]*]");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");

    private PromQl() {}

    public static Set<String> metricNames(String expr) {
        String stripped = STRINGS.matcher(expr).replaceAll("\"\"");
        stripped = LABEL_LISTS.matcher(stripped).replaceAll(" ");
        stripped = SELECTORS.matcher(stripped).replaceAll(" ");
        stripped = RANGES.matcher(stripped).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(stripped);
        while (identifier.find()) {
            String name = identifier.group();
            boolean call = stripped.substring(identifier.end()).matches("(?s)\\s*\\(.*");
            boolean number = identifier.start() > 0 && Character.isDigit(stripped.charAt(identifier.start() - 1));
            if (!call && !number && !KEYWORDS.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
