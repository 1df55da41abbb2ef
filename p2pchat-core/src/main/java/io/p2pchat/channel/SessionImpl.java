package io.p2pchat.channel;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.p2pchat.crypto.Hkdf;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.Fingerprints;
import io.p2pchat.identity.PeerId;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link SecureSession} of one channel; key operations delegate to its {@link RecordCodecCore}.
 *
 * <p>Threading: shared with the application, on any thread. The peer's values are final and
 * immutable (arrays are copied out); {@link #rotateKeys} and {@link #rekey} hop onto the channel's
 * event loop, where the core's state is confined; {@link #stats} reads the core's {@code volatile}
 * counters; the exporter secret is guarded by {@code exporterLock} (read by {@link
 * #exportKeyingMaterial} on the caller's thread, wiped by {@link #destroy} on the event loop).
 */
final class SessionImpl implements SecureSession {
    /** Exporter label of the session fingerprint. */
    static final String SESSION_FINGERPRINT_LABEL = "p2pchat session fingerprint";

    private final Channel channel;
    private final RecordCodecCore core;
    private final Role role;
    private final PeerId peerId;
    private final RSAPublicKey peerKey;
    private final byte[] peerCertificate;
    private final Optional<String> peerListenAddress;
    private final byte[] peerNetworkId;
    private final boolean delegatedCredentials;
    private final boolean resumed;
    private @Nullable Secret resumptionSecret; // event loop only
    private final int version;
    private final CipherSuite suite;
    private final String sessionFingerprint;
    private final Optional<RecordDigest> digest;
    private final Optional<HandshakeTimings> timings;
    private final Object exporterLock = new Object();
    private Secret exporter; // guarded by exporterLock

    SessionImpl(
            Channel channel, RecordCodecCore core, Established est, Optional<RecordDigest> digest) {
        this.channel = channel;
        this.core = core;
        this.role = est.role;
        this.peerId = est.peerId;
        this.peerKey = est.peerPublicKey;
        this.peerCertificate = est.peerCertificate.clone();
        this.peerListenAddress = est.peerListenAddress;
        this.peerNetworkId = est.peerNetworkId.clone();
        this.delegatedCredentials = est.delegatedCredentials;
        this.resumed = est.resumed;
        this.resumptionSecret = est.resumptionSecret;
        est.resumptionSecret = null;
        this.version = est.version;
        this.suite = est.suite;
        this.exporter = est.exporterSecret;
        this.sessionFingerprint =
                Fingerprints.safetyNumber(
                        KeySchedule.export(
                                exporter.bytes(), SESSION_FINGERPRINT_LABEL, new byte[0], 32));
        this.digest = digest;
        this.timings = Optional.ofNullable(est.timings);
    }

    @Override
    public Optional<HandshakeTimings> handshakeTimings() {
        return timings;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public Role role() {
        return role;
    }

    @Override
    public PeerId peerId() {
        return peerId;
    }

    @Override
    public RSAPublicKey peerPublicKey() {
        return peerKey;
    }

    @Override
    public byte[] peerCertificate() {
        return peerCertificate.clone();
    }

    @Override
    public Optional<String> peerListenAddress() {
        return peerListenAddress;
    }

    @Override
    public boolean delegatedCredentials() {
        return delegatedCredentials;
    }

    @Override
    public boolean resumed() {
        return resumed;
    }

    /**
     * Takes the resumption secret, once, to derive the PSK of the ticket the responder sends; null
     * if none was kept or it was taken. Called on the event loop.
     */
    @Nullable Secret takeResumptionSecret() {
        Secret s = resumptionSecret;
        resumptionSecret = null;
        return s;
    }

    @Override
    public byte[] peerNetworkId() {
        return peerNetworkId.clone();
    }

    @Override
    public int protocolVersion() {
        return version;
    }

    @Override
    public CipherSuite cipherSuite() {
        return suite;
    }

    @Override
    public String sessionFingerprint() {
        return sessionFingerprint;
    }

    @Override
    public Optional<RecordDigest> recordDigest() {
        return digest;
    }

    @Override
    public byte[] exportKeyingMaterial(String label, byte[] context, int length) {
        if (label == null
                || label.isEmpty()
                || label.length() > 200
                || !StandardCharsets.US_ASCII.newEncoder().canEncode(label)) {
            throw new IllegalArgumentException("label: expected 1..200 ASCII characters");
        }
        if (context.length > 0xFFFF) {
            throw new IllegalArgumentException(
                    "context length: " + context.length + " (expected: <= 65535)");
        }
        if (length < 1 || length > Hkdf.MAX_OUTPUT_LENGTH) {
            throw new IllegalArgumentException(
                    "length: " + length + " (expected: 1.." + Hkdf.MAX_OUTPUT_LENGTH + ")");
        }
        synchronized (exporterLock) {
            if (exporter == null || exporter.isDestroyed()) {
                throw new IllegalStateException("the session is closed");
            }
            return KeySchedule.export(exporter.bytes(), label, context, length);
        }
    }

    @Override
    public Future<Void> rotateKeys(boolean requestPeerUpdate) {
        Promise<Void> promise = channel.eventLoop().newPromise();
        channel.eventLoop().execute(() -> core.rotateNow(requestPeerUpdate, promise));
        return promise;
    }

    @Override
    public Future<Void> rekey() {
        Promise<Void> promise = channel.eventLoop().newPromise();
        channel.eventLoop().execute(() -> core.rekeyNow(promise));
        return promise;
    }

    @Override
    public SessionStats stats() {
        return core.stats();
    }

    /** Wipes the exporter secret; the session can no longer export. */
    void destroy() {
        if (resumptionSecret != null) {
            resumptionSecret.destroy();
            resumptionSecret = null;
        }
        synchronized (exporterLock) {
            if (exporter != null) {
                exporter.destroy();
                exporter = null;
            }
        }
    }

    @Override
    public String toString() {
        return "SecureSession[" + role + ", peer=" + peerId.shortId() + ", " + suite + "]";
    }
}
