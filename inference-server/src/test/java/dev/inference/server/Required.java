package dev.inference.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test of any module needs from outside the repository (a browser, Redis, Node.js, ONNX's
 * conformance data, a tool, ../shared). A developer's machine may lack it, and the test then skips
 * saying why; under {@code CI=true} a missing prerequisite fails the test, so that CI can never pass
 * by checking nothing.
 */
public final class Required {

    private Required() {}

    public static void that(boolean present, String what) {
        if ("true".equals(System.getenv("CI")) && !present) {
            throw new AssertionError("CI=true and " + what);
        }
        assumeTrue(present, what);
    }
}
