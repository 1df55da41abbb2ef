/**
 * The identity ledger and the certificate authority built on it: signed identity transactions in
 * proof-of-work blocks, replicated by the peers, and a {@link io.p2pchat.channel.PeerVerifier} that
 * checks handshake peers against it.
 *
 * <p>Start with {@link io.p2pchat.ledger.Ledger} (a replica), {@link
 * io.p2pchat.ledger.IdentityTransactions} (what to submit), {@link
 * io.p2pchat.ledger.LedgerPeerVerifier} and {@link io.p2pchat.ledger.LedgerCertificateSource} (the
 * CA for a {@link io.p2pchat.channel.SecureChannelContext}). {@code docs/ledger.md} specifies the
 * formats and rules byte for byte; {@code docs/trust-model.md} says what proof of work does and
 * does not protect.
 */
@NullMarked
package io.p2pchat.ledger;

import org.jspecify.annotations.NullMarked;
