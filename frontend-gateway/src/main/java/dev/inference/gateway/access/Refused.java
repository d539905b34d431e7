package dev.inference.gateway.access;

import io.grpc.Status;

/**
 * A credential that does not authenticate, with what the log and the client are told: never the
 * credential, and for a JWT only what is wrong with it.
 *
 * @param reason the {@code gateway_auth_refusals_total} label: {@code missing}, {@code invalid_key},
 *     {@code invalid_token}, {@code forbidden_model}, {@code not_admin},
 *     {@code keys_unavailable}
 */
public final class Refused extends Exception {

    private final Status.Code code;
    private final String reason;
    private final String clientId;

    Refused(String reason, String clientId, String message) {
        this(Status.Code.UNAUTHENTICATED, reason, clientId, message);
    }

    Refused(Status.Code code, String reason, String clientId, String message) {
        super(message, null, false, false);
        this.code = code;
        this.reason = reason;
        this.clientId = clientId;
    }

    /** UNAUTHENTICATED, PERMISSION_DENIED, or UNAVAILABLE when the keys to check a token cannot be had. */
    public Status.Code code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    /** The client the credential names, where it names one (an expired token's subject), or {@code -}. */
    public String clientId() {
        return clientId;
    }
}
