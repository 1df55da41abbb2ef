/**
 * p2pchat's secure channel for Netty, in one package as Netty's {@code io.netty.handler.ssl}: the
 * public API, and the engine behind it package-private.
 *
 * <p>Start with {@link io.p2pchat.channel.SecureChannelContext}: build one per identity, then let
 * it add the handlers to each channel (the {@link io.p2pchat.channel.FrameDecoder}, the {@link
 * io.p2pchat.channel.HandshakeHandler}, which replaces itself with the {@link
 * io.p2pchat.channel.RecordCodec}, and the Protobuf codecs). An established channel is described by
 * a {@link io.p2pchat.channel.SecureSession}; the handshake's trust decision is a {@link
 * io.p2pchat.channel.PeerVerifier}'s. Failures carry an {@link io.p2pchat.channel.ErrorCode}.
 *
 * <p>Package-private here: the handshake state machines ({@code InitiatorHandshake}, {@code
 * ResponderHandshake}, {@code HandshakeProtocol}), the record layer's state ({@code
 * RecordCodecCore}, {@code SessionImpl}), the negotiated parameters ({@code Established}) and the
 * settings and limits. {@link io.p2pchat.channel.RecordWriter} and {@link
 * io.p2pchat.channel.RecordReader} are public as the record layer's building blocks (the benchmarks
 * measure them alone).
 *
 * <p>The wire protocol is specified in {@code docs/protocol.md}; security properties and defaults
 * in {@code docs/security.md}; threads in {@code docs/concurrency.md}; the layers and how a message
 * flows through them in {@code docs/architecture.md}.
 */
@NullMarked
package io.p2pchat.channel;

import org.jspecify.annotations.NullMarked;
