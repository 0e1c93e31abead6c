package dev.harvest.api.http;

import java.io.IOException;

/**
 * A request was not sent, or a redirect not followed, because the {@link OutboundPolicy} refuses its target. The
 * message says what was refused and which setting would allow it; it never depends on whether anything listens at
 * the target, so that a refusal tells nothing about the refused network.
 *
 * <p>It is an {@link IOException} so that it travels through HTTP client code (DNS resolvers, interceptors) the way
 * other network failures do. A caller should not retry it: the same request is refused again.
 */
public class OutboundRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message what was refused and why, naming the setting that would allow it */
    public OutboundRefusedException(String message) {
        super(message);
    }
}
