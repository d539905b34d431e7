package dev.inference.gateway.forwarding;

import java.util.Optional;

/**
 * A successful answer, once the client has it: what the shadow comparison works from.
 *
 * @param track the track that answered ({@code x-model-track})
 * @param revision the answering server's revision ({@code x-model-revision}), if it sent one
 * @param pinned whether the call was pinned to a track, by header or cookie
 * @param remainingMillis what was left of the call's deadline when the answer arrived
 * @param outgoing what the call carried upstream, for a shadow of it to carry too
 */
public record Answer<R>(R response, String track, Optional<String> revision, boolean pinned, long remainingMillis,
        OutgoingMetadata outgoing) {}
