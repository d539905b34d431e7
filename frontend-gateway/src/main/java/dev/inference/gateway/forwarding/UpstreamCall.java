package dev.inference.gateway.forwarding;

import com.google.common.util.concurrent.ListenableFuture;
import dev.inference.gateway.routing.Upstream;
import io.grpc.stub.AbstractStub;

/**
 * What a forwarded call asks of the upstream that was chosen for it: which service's stub, which
 * method. {@link ForwardedCall} supplies the metadata and deadline of each attempt.
 */
@FunctionalInterface
public interface UpstreamCall<R> {

    /** The headers and deadline of one attempt, put on whichever stub the call uses. */
    interface Attempt {
        <S extends AbstractStub<S>> S configure(S stub);
    }

    ListenableFuture<R> send(Upstream upstream, Attempt attempt);
}
