package dev.inference.gateway.forwarding;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The headers and trailers of one upstream call, where the inference server names the track,
 * revision and version that answered: in the headers of a success, in the trailers of a call that
 * failed before sending headers.
 */
public final class ResponseMetadata {

    private final AtomicReference<Metadata> headers = new AtomicReference<>();
    private final AtomicReference<Metadata> trailers = new AtomicReference<>();

    /** The interceptor that fills this in; one per call. */
    public ClientInterceptor capture() {
        return MetadataUtils.newCaptureMetadataInterceptor(headers, trailers);
    }

    /** The value of an ASCII header, from the headers or else the trailers. */
    public Optional<String> get(String name) {
        Metadata.Key<String> key = key(name);
        for (AtomicReference<Metadata> metadata : List.of(headers, trailers)) {
            Metadata received = metadata.get();
            if (received != null && received.get(key) != null) {
                return Optional.of(received.get(key));
            }
        }
        return Optional.empty();
    }

    public static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
