package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import io.netty.util.concurrent.Promise;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.MlKem768;
import io.p2pchat.crypto.Secret;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.crypto.X25519;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.RekeyConfirm;
import io.p2pchat.proto.RekeyInit;
import io.p2pchat.proto.RekeyResponse;
import java.security.InvalidKeyException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-channel rekey of an established channel (protocol.md §8.3): a fresh X25519 (and, in a
 * hybrid suite, ML-KEM-768) exchange in {@code RekeyInit}, {@code RekeyResponse} and {@code
 * RekeyConfirm} control records, the next rekey root, and both directions' new traffic secrets,
 * which {@link Ratchet} installs. Started by the record interval or the timer of the {@link
 * RotationPolicy}, or through {@link SecureSession#rekey()}; when both sides start one at once the
 * handshake initiator's wins.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link RecordCodecCore} (the key
 * agreement runs there too: about 0.4 ms, every few minutes); {@link #rekeys()} may be read from
 * any thread.
 */
final class Rekey {
    private static final Logger log = LoggerFactory.getLogger(Rekey.class);

    private enum State {
        NONE,
        INIT_SENT,
        AWAIT_CONFIRM
    }

    private final RecordCodecCore core;
    private final Ratchet ratchet;
    private final ChannelSettings settings;
    private final Role role;
    private final PeerId localId;
    private final PeerId peerId;
    private final boolean hybrid;

    private State state = State.NONE;
    private X25519.KeyPair ephemeralX25519;
    private MlKem768.KeyPair ephemeralKem;
    private byte[] initBytes;
    private byte[] rekeyRoot;
    private byte[] pendingSendSecret;
    private byte[] pendingReceiveSecret;
    private Promise<Void> promise;
    private long recordsSinceRekey;
    private long lastRekeyNanos;
    private volatile long rekeys;

    /** Takes ownership of {@code rekeyRoot}. */
    Rekey(
            RecordCodecCore core,
            Ratchet ratchet,
            ChannelSettings settings,
            Role role,
            PeerId localId,
            PeerId peerId,
            boolean hybrid,
            byte[] rekeyRoot,
            long now) {
        this.core = core;
        this.ratchet = ratchet;
        this.settings = settings;
        this.role = role;
        this.localId = localId;
        this.peerId = peerId;
        this.hybrid = hybrid;
        this.rekeyRoot = rekeyRoot;
        this.lastRekeyNanos = now;
    }

    /** Completed rekeys so far. */
    long rekeys() {
        return rekeys;
    }

    /** Counts a sent record and starts a rekey when the policy's record interval has passed. */
    void recordSent() {
        recordsSinceRekey++;
        if (recordsSinceRekey >= settings.rotation().rekeyIntervalRecords()
                && state == State.NONE) {
            start();
        }
    }

    /** The channel's timer: starts a rekey when the policy's time interval has passed. */
    void onTimer(long now) {
        java.time.Duration interval = settings.rotation().rekeyInterval();
        if (!interval.isZero()
                && state == State.NONE
                && now - lastRekeyNanos >= interval.toNanos()) {
            start();
        }
    }

    /** Explicit rekey requested through the session; the channel is open. */
    void rekeyNow(Promise<Void> requested) {
        if (promise == null) {
            promise = requested;
        } else {
            promise.addListener(
                    f -> {
                        if (f.isSuccess()) {
                            requested.trySuccess(null);
                        } else {
                            requested.tryFailure(f.cause());
                        }
                    });
        }
        if (state == State.NONE) {
            start();
        }
    }

    private void start() {
        if (!core.canSend() || state != State.NONE) {
            return;
        }
        ephemeralX25519 = X25519.generate(settings.random());
        RekeyInit.Builder init =
                RekeyInit.newBuilder()
                        .setX25519Share(ByteString.copyFrom(ephemeralX25519.publicKey()))
                        .setSenderPeerId(ByteString.copyFrom(localId.toBytes()));
        if (hybrid) {
            ephemeralKem = MlKem768.generate(settings.random());
            init.setMlkem768EncapsulationKey(ByteString.copyFrom(ephemeralKem.encapsulationKey()));
        }
        initBytes = ControlMessage.newBuilder().setRekeyInit(init).build().toByteArray();
        state = State.INIT_SENT;
        log.debug("{} starting rekey", core.channel());
        core.sendControl(initBytes, Ratchet.After.NORMAL);
        core.flushNow();
    }

    /** A received {@code RekeyInit} ({@code bytes} is the whole control message). */
    void onInit(byte[] bytes, RekeyInit init) {
        if (state == State.AWAIT_CONFIRM) {
            core.fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey while a rekey is unconfirmed"));
            return;
        }
        if (!checkSender(init.getSenderPeerId())) {
            return;
        }
        if (state == State.INIT_SENT) {
            if (role == Role.INITIATOR) {
                // Both sides started a rekey; the handshake initiator's wins and the peer answers
                // it.
                ratchet.afterReceive(Ratchet.After.NORMAL, null);
                return;
            }
            destroyEphemerals();
            state = State.NONE;
        }
        if (init.getX25519Share().size() != X25519.KEY_LENGTH
                || (hybrid
                        && init.getMlkem768EncapsulationKey().size()
                                != MlKem768.ENCAPSULATION_KEY_LENGTH)) {
            core.fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "malformed rekey share"));
            return;
        }
        if (!ratchet.afterReceive(Ratchet.After.NORMAL, null)) {
            return;
        }
        X25519.KeyPair x = X25519.generate(settings.random());
        byte[] dh = null;
        byte[] kemSecret = null;
        RekeyResponse.Builder response =
                RekeyResponse.newBuilder()
                        .setX25519Share(ByteString.copyFrom(x.publicKey()))
                        .setSenderPeerId(ByteString.copyFrom(localId.toBytes()));
        try {
            dh = x.agree(init.getX25519Share().toByteArray());
            if (hybrid) {
                MlKem768.Encapsulation enc =
                        MlKem768.encapsulate(
                                init.getMlkem768EncapsulationKey().toByteArray(),
                                settings.random());
                kemSecret = enc.sharedSecret();
                response.setMlkem768Ciphertext(ByteString.copyFrom(enc.ciphertext()));
            }
        } catch (InvalidKeyException e) {
            Secret.wipe(dh);
            core.fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "rekey share rejected"));
            return;
        } finally {
            x.destroy();
        }
        byte[] responseBytes =
                ControlMessage.newBuilder().setRekeyResponse(response).build().toByteArray();
        derive(bytes, responseBytes, dh, kemSecret);
        state = State.AWAIT_CONFIRM;
        core.sendControl(responseBytes, Ratchet.After.REKEY);
        core.flushNow();
    }

    /** A received {@code RekeyResponse} ({@code bytes} is the whole control message). */
    void onResponse(byte[] bytes, RekeyResponse response) {
        if (state != State.INIT_SENT) {
            core.fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey response without a rekey"));
            return;
        }
        if (!checkSender(response.getSenderPeerId())) {
            return;
        }
        byte[] dh;
        byte[] kemSecret = null;
        try {
            if (hybrid) {
                kemSecret =
                        ephemeralKem.decapsulate(response.getMlkem768Ciphertext().toByteArray());
            } else if (!response.getMlkem768Ciphertext().isEmpty()) {
                throw new InvalidKeyException("ML-KEM ciphertext in a classical suite");
            }
            dh = ephemeralX25519.agree(response.getX25519Share().toByteArray());
        } catch (InvalidKeyException e) {
            Secret.wipe(kemSecret);
            core.fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "rekey share rejected"));
            return;
        }
        destroyEphemerals();
        derive(initBytes, bytes, dh, kemSecret);
        byte[] receive = pendingReceiveSecret;
        pendingReceiveSecret = null;
        if (!ratchet.afterReceive(Ratchet.After.REKEY, receive)) {
            return;
        }
        state = State.NONE;
        core.sendControl(
                ControlMessage.newBuilder()
                        .setRekeyConfirm(RekeyConfirm.getDefaultInstance())
                        .build()
                        .toByteArray(),
                Ratchet.After.REKEY);
        core.flushNow();
        completed();
    }

    /** A received {@code RekeyConfirm}. */
    void onConfirm() {
        if (state != State.AWAIT_CONFIRM) {
            core.fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey confirm without a rekey"));
            return;
        }
        byte[] receive = pendingReceiveSecret;
        pendingReceiveSecret = null;
        if (!ratchet.afterReceive(Ratchet.After.REKEY, receive)) {
            return;
        }
        state = State.NONE;
        completed();
    }

    /**
     * The new send secret of the rekey in progress, handed to the caller (who installs it with the
     * record that ends the old send key).
     */
    byte[] takeSendSecret() {
        byte[] s = pendingSendSecret;
        pendingSendSecret = null;
        return s;
    }

    private boolean checkSender(ByteString sender) {
        if (!sender.equals(ByteString.copyFrom(peerId.toBytes()))) {
            core.fail(
                    new RecordException(ErrorCode.IDENTITY_CHANGED, "rekey from another identity"));
            return false;
        }
        return true;
    }

    /** Derives the next rekey root and both new traffic secrets; consumes the shared secrets. */
    private void derive(byte[] init, byte[] responseBytes, byte[] dh, byte[] kemSecret) {
        TranscriptHash hash = new TranscriptHash();
        hash.add(init);
        hash.add(responseBytes);
        byte[] rekeyHash = hash.current();
        byte[] shared = kemSecret == null ? dh.clone() : concat(kemSecret, dh);
        Secret.wipe(dh, kemSecret);
        byte[] newRoot = KeySchedule.nextRekeyRoot(rekeyRoot, rekeyHash, shared);
        Secret.wipe(shared, rekeyRoot);
        rekeyRoot = newRoot;
        pendingSendSecret =
                KeySchedule.rekeyedTrafficSecret(newRoot, role == Role.INITIATOR, rekeyHash);
        pendingReceiveSecret =
                KeySchedule.rekeyedTrafficSecret(newRoot, role.peer() == Role.INITIATOR, rekeyHash);
    }

    private void completed() {
        rekeys++;
        recordsSinceRekey = 0;
        lastRekeyNanos = core.now();
        log.debug("{} rekeyed", core.channel());
        Promise<Void> p = promise;
        promise = null;
        if (p != null) {
            p.trySuccess(null);
        }
    }

    private void destroyEphemerals() {
        if (ephemeralX25519 != null) {
            ephemeralX25519.destroy();
            ephemeralX25519 = null;
        }
        if (ephemeralKem != null) {
            ephemeralKem.destroy();
            ephemeralKem = null;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Wipes every rekey secret and fails a requested rekey with {@code cause}, which is asked for
     * only when a rekey was requested.
     */
    void destroy(Supplier<? extends Throwable> cause) {
        destroyEphemerals();
        Secret.wipe(rekeyRoot, pendingSendSecret, pendingReceiveSecret);
        if (promise != null) {
            promise.tryFailure(cause.get());
            promise = null;
        }
    }
}
