package dev.inference.gateway.access;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import java.util.Optional;
import java.util.Set;

/**
 * Who made a call, as the credential said: the client id that rate limits and logs name, the
 * models it may call (empty: every model), and whether it may change traffic.
 */
public record Caller(String id, Optional<Set<String>> models, boolean admin) {

    private static final AttributeKey<Caller> KEY = AttributeKey.valueOf(Caller.class, "CALLER");

    public Caller {
        models = models.map(Set::copyOf);
    }

    /** The caller a credential authenticated for this call, if any did. */
    public static Optional<Caller> of(ServiceRequestContext ctx) {
        return Optional.ofNullable(ctx.attr(KEY));
    }

    void attachTo(ServiceRequestContext ctx) {
        ctx.setAttr(KEY, this);
    }

    public boolean mayCall(String model) {
        return models.map(allowed -> allowed.contains(model)).orElse(true);
    }
}
