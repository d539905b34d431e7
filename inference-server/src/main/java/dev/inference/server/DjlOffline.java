package dev.inference.server;

/**
 * Keeps DJL off the network. Without these, DJL probes the cloud metadata address at start-up
 * for usage tracking and may try to download engines or models.
 */
public final class DjlOffline {

    private DjlOffline() {}

    /** Call before any DJL class loads. */
    public static void enforce() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("offline", "true");
    }
}
