package dev.inference.rollouts.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A success or failure condition of an AnalysisTemplate, in the subset of Argo's expression
 * language that the platform's templates use: {@code result} (the query's values), {@code len(result)},
 * {@code result[i]}, {@code isNaN(x)}, numbers, {@code true}/{@code false}, comparisons
 * ({@code < <= > >= == !=}), {@code !}, {@code &&}, {@code ||} and parentheses. Anything else is
 * refused when the template is read, so that the runner tests the real templates and never
 * silently misreads one.
 */
public final class Condition {

    private final String text;
    private final Node root;

    private Condition(String text, Node root) {
        this.text = text;
        this.root = root;
    }

    /** @throws IllegalArgumentException saying where the expression left the supported forms */
    public static Condition parse(String text) {
        Parser parser = new Parser(text);
        Node root = parser.or();
        parser.expectEnd();
        return new Condition(text, root);
    }

    /** Evaluates the condition on a query's result, one value per series. */
    public boolean test(List<Double> result) {
        Object value = root.evaluate(result);
        if (!(value instanceof Boolean bool)) {
            throw new IllegalArgumentException("\"" + text + "\" is not a condition: it gives " + value);
        }
        return bool;
    }

    @Override
    public String toString() {
        return text;
    }

    private interface Node {
        Object evaluate(List<Double> result);
    }

    private static final class Parser {
        private final String text;
        private final List<String> tokens;
        private int position;

        Parser(String text) {
            this.text = text;
            this.tokens = tokenize(text);
        }

        Node or() {
            Node left = and();
            while (accept("||")) {
                Node first = left;
                Node second = and();
                left = result -> bool(first.evaluate(result)) || bool(second.evaluate(result));
            }
            return left;
        }

        private Node and() {
            Node left = comparison();
            while (accept("&&")) {
                Node first = left;
                Node second = comparison();
                left = result -> bool(first.evaluate(result)) && bool(second.evaluate(result));
            }
            return left;
        }

        private Node comparison() {
            Node left = unary();
            for (String operator : List.of("<=", ">=", "==", "!=", "<", ">")) {
                if (accept(operator)) {
                    Node first = left;
                    Node second = unary();
                    return result -> compare(operator, number(first.evaluate(result)), number(second.evaluate(result)));
                }
            }
            return left;
        }

        private Node unary() {
            if (accept("!")) {
                Node operand = unary();
                return result -> !bool(operand.evaluate(result));
            }
            return primary();
        }

        private Node primary() {
            String token = next();
            if (token.equals("(")) {
                Node inner = or();
                expect(")");
                return inner;
            }
            if (token.equals("true") || token.equals("false")) {
                boolean value = Boolean.parseBoolean(token);
                return result -> value;
            }
            if (token.equals("len")) {
                expect("(");
                expect("result");
                expect(")");
                return result -> (double) result.size();
            }
            if (token.equals("isNaN")) {
                expect("(");
                Node operand = or();
                expect(")");
                return result -> Double.isNaN(number(operand.evaluate(result)));
            }
            if (token.equals("result")) {
                expect("[");
                int index = Integer.parseInt(next());
                expect("]");
                return result -> {
                    if (index >= result.size()) {
                        throw new IllegalStateException("result[" + index + "] of a result with " + result.size()
                                + " values: the condition must guard with len(result)");
                    }
                    return result.get(index);
                };
            }
            try {
                double value = Double.parseDouble(token);
                return result -> value;
            } catch (NumberFormatException e) {
                throw unsupported("\"" + token + "\"");
            }
        }

        private static boolean compare(String operator, double left, double right) {
            return switch (operator) {
                case "<" -> left < right;
                case "<=" -> left <= right;
                case ">" -> left > right;
                case ">=" -> left >= right;
                case "==" -> left == right;
                default -> left != right;
            };
        }

        private boolean bool(Object value) {
            if (value instanceof Boolean bool) {
                return bool;
            }
            throw unsupported("a number where a condition belongs");
        }

        private double number(Object value) {
            if (value instanceof Double number) {
                return number;
            }
            throw unsupported("a condition where a number belongs");
        }

        private boolean accept(String token) {
            if (position < tokens.size() && tokens.get(position).equals(token)) {
                position++;
                return true;
            }
            return false;
        }

        private void expect(String token) {
            if (!accept(token)) {
                throw unsupported("expected " + token + (position < tokens.size() ? " at \"" + tokens.get(position) + "\"" : " at the end"));
            }
        }

        private String next() {
            if (position >= tokens.size()) {
                throw unsupported("unexpected end");
            }
            return tokens.get(position++);
        }

        void expectEnd() {
            if (position != tokens.size()) {
                throw unsupported("unexpected \"" + tokens.get(position) + "\"");
            }
        }

        private IllegalArgumentException unsupported(String problem) {
            return new IllegalArgumentException("unsupported condition \"" + text + "\": " + problem
                    + "; supported: result, len(result), result[i], isNaN(x), numbers, true, false,"
                    + " < <= > >= == !=, !, &&, ||, ( )");
        }

        private static List<String> tokenize(String text) {
            List<String> tokens = new ArrayList<>();
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if ("&|<>=!".indexOf(c) >= 0) {
                    String two = i + 1 < text.length() ? text.substring(i, i + 2) : "";
                    if (List.of("&&", "||", "<=", ">=", "==", "!=").contains(two)) {
                        tokens.add(two);
                        i += 2;
                    } else if ("<>!".indexOf(c) >= 0) {
                        tokens.add(String.valueOf(c));
                        i++;
                    } else {
                        throw new IllegalArgumentException("unsupported condition \"" + text + "\": \"" + c + "\"");
                    }
                } else if ("()[]".indexOf(c) >= 0) {
                    tokens.add(String.valueOf(c));
                    i++;
                } else if (Character.isLetterOrDigit(c) || c == '.' || c == '_') {
                    int start = i;
                    while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '.'
                            || text.charAt(i) == '_')) {
                        i++;
                    }
                    tokens.add(text.substring(start, i));
                } else {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "unsupported condition \"%s\": \"%c\"", text, c));
                }
            }
            return tokens;
        }
    }
}
