/**
 * p2pchat: secure, mutually authenticated peer-to-peer channels for Netty.
 *
 * <p>Start with {@link io.p2pchat.SecureChannelContext}: build one per identity, then let it add
 * the handlers to each channel. An established channel is described by a {@link
 * io.p2pchat.SecureSession}. Failures carry an {@link io.p2pchat.ErrorCode}.
 *
 * <p>The wire protocol is specified in {@code docs/protocol.md}; security properties and defaults
 * in {@code docs/security.md}; threads in {@code docs/concurrency.md}.
 */
@NullMarked
package io.p2pchat;

import org.jspecify.annotations.NullMarked;
