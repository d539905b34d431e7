package dev.inference.server;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * Loopback ports for the servers and processes the tests start. A class of its own, with no
 * dependency, so that the other modules' tests (through this module's test jar) can use it without
 * what the rest of this test tree needs on their class path.
 */
public final class FreePorts {

    private FreePorts() {}

    /** A port nothing listened on a moment ago: for a process that must be told its port, or an upstream that is down. */
    public static int next() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
