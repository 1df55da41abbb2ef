package io.p2pchat.ledger;

import io.p2pchat.channel.CertificateSource;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presents this peer's {@link LedgerCertificate} in each handshake: the certificate of a key on a
 * {@link Ledger}, rebuilt when the best chain moves, empty while the key is not (or no longer) the
 * current key of an unrevoked identity.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. {@link #currentCertificate()} is called by the handshake off the event loop; it may
 * wait briefly (at most 5 s) for the ledger thread to build the proof, and caches the result until
 * the tip changes. {@link #currentCertificateIfReady()}, called on the event loop, answers from
 * that cache only, so a handshake leaves the event loop for the certificate once per tip.
 */
public final class LedgerCertificateSource implements CertificateSource {
    private static final Logger log = LoggerFactory.getLogger(LedgerCertificateSource.class);

    private final Ledger ledger;
    private final PeerId keyId;
    private volatile Cached cached;

    private record Cached(BlockHash tip, byte[] bytes) {}

    private LedgerCertificateSource(Ledger ledger, PeerId keyId) {
        this.ledger = ledger;
        this.keyId = keyId;
    }

    /** A source for the key with id {@code keyId} (for a local identity: its {@code peerId()}). */
    public static LedgerCertificateSource of(Ledger ledger, PeerId keyId) {
        return new LedgerCertificateSource(
                Objects.requireNonNull(ledger, "ledger"), Objects.requireNonNull(keyId, "keyId"));
    }

    /** The cached certificate if the tip has not moved since it was built, else null. */
    @Override
    public byte @Nullable [] currentCertificateIfReady() {
        Cached c = cached;
        return c != null && c.tip.equals(ledger.tip().hash()) ? c.bytes.clone() : null;
    }

    @Override
    public byte[] currentCertificate() {
        BlockHash tip = ledger.tip().hash();
        Cached c = cached;
        if (c != null && c.tip.equals(tip)) {
            return c.bytes.clone();
        }
        byte[] bytes;
        try {
            Optional<LedgerCertificate> cert = ledger.certificate(keyId).get(5, TimeUnit.SECONDS);
            bytes = cert.map(LedgerCertificate::encode).orElse(new byte[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new byte[0];
        } catch (Exception e) {
            log.warn("no ledger certificate for {}: {}", keyId.shortId(), e.toString());
            return new byte[0];
        }
        cached = new Cached(tip, bytes);
        return bytes.clone();
    }

    @Override
    public String toString() {
        return "LedgerCertificateSource[" + keyId.shortId() + "]";
    }
}
