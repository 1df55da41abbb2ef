/**
 * The trust decision of the handshake: after a peer has proven that it holds the key of its {@link
 * io.p2pchat.identity.PeerId}, a {@link io.p2pchat.channel.PeerVerifier} decides whether that
 * identity may talk to us.
 *
 * <p>Verifiers provided here: {@link io.p2pchat.verify.PinnedKeysVerifier} (a fixed list of ids),
 * {@link io.p2pchat.verify.TofuVerifier} (trust on first use, remembered per endpoint, like SSH's
 * {@code known_hosts}), and {@link io.p2pchat.channel.PeerVerifier#insecureAcceptAny()}. The ledger
 * certificate authority provides the verifier for open networks. Rejections are {@link
 * io.p2pchat.channel.PeerVerificationException}s carrying an {@link io.p2pchat.channel.ErrorCode}.
 *
 * <p>Verifiers run on the crypto executor, concurrently, and must be thread-safe. How to choose one
 * and what each protects against is in {@code docs/security.md}.
 */
@NullMarked
package io.p2pchat.verify;

import org.jspecify.annotations.NullMarked;
