package dev.inference.server.api;

import dev.inference.api.Headers;
import dev.inference.server.track.TrackSource;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Adds {@code x-model-track}, {@code x-model-revision} and {@code x-model-version} to every response
 * of the inference service: in the headers of a successful call, in the trailers of one that failed
 * before sending headers. The gateway pins users to a track with them, and compares shadowed answers
 * of two revisions.
 */
public final class ModelHeadersInterceptor implements ServerInterceptor {

    public static final Metadata.Key<String> TRACK_HEADER =
            Metadata.Key.of(Headers.TRACK, Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> REVISION_HEADER =
            Metadata.Key.of(Headers.REVISION, Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> VERSION_HEADER =
            Metadata.Key.of(Headers.VERSION, Metadata.ASCII_STRING_MARSHALLER);

    private static final Context.Key<AtomicReference<String>> SERVED_VERSION = Context.key("served-version");

    private final TrackSource track;

    public ModelHeadersInterceptor(TrackSource track) {
        this.track = track;
    }

    /** Records, for the call in the current context, which model version serves it. */
    static void recordServedVersion(String version) {
        AtomicReference<String> served = SERVED_VERSION.get();
        if (served != null) {
            served.set(version);
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        AtomicReference<String> servedVersion = new AtomicReference<>();
        ServerCall<Q, R> withHeaders = new SimpleForwardingServerCall<>(call) {
            private boolean headersSent;

            @Override
            public void sendHeaders(Metadata responseHeaders) {
                addModelHeaders(responseHeaders);
                headersSent = true;
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!headersSent) {
                    addModelHeaders(trailers);
                }
                super.close(status, trailers);
            }

            private void addModelHeaders(Metadata metadata) {
                metadata.put(TRACK_HEADER, track.current());
                metadata.put(REVISION_HEADER, track.revision());
                String version = servedVersion.get();
                if (version != null) {
                    metadata.put(VERSION_HEADER, version);
                }
            }
        };
        Context context = Context.current().withValue(SERVED_VERSION, servedVersion);
        return Contexts.interceptCall(context, withHeaders, headers, next);
    }
}
