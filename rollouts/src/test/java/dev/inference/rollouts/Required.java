package dev.inference.rollouts;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test needs from outside the repository (a tool, ../shared). A developer's machine may lack
 * it, and the test then skips saying why; under {@code CI=true} a missing prerequisite fails the
 * test, so that CI can never pass by checking nothing.
 */
final class Required {

    private Required() {}

    static void that(boolean present, String what) {
        if ("true".equals(System.getenv("CI"))) {
            if (!present) {
                throw new AssertionError("CI=true and " + what);
            }
        } else {
            assumeTrue(present, what);
        }
    }
}
