package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.MlKem768;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.crypto.X25519;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.KeyUpdate;
import io.p2pchat.proto.Ping;
import io.p2pchat.proto.Pong;
import io.p2pchat.proto.RekeyConfirm;
import io.p2pchat.proto.RekeyInit;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An adversarial p2pchat peer for tests, built from our own codecs ({@link InitiatorHandshake},
 * {@link ResponderHandshake}, {@link RecordWriter}, {@link RecordReader} and the Protobuf
 * messages), that plays either role against an honest peer over a {@link Wire}.
 *
 * <p>It is driven step by step from the test thread, like a tlsfuzzer conversation:
 *
 * <pre>{@code
 * EvilPeer evil = EvilPeer.initiator(context, wire, Bugs.none().field(Msg.AUTH, FieldMod.xor("signature", 7, 1)));
 * evil.sendHello();
 * evil.readResponderFlight();
 * evil.sendAuth();
 * assertThat(evil.awaitAlert().code()).isEqualTo(AlertCode.AUTH_FAILED);
 * }</pre>
 *
 * <p>Every message it builds passes through its {@link Bugs} before it is framed, and every frame
 * through the frame rules before it is written, so any field of any handshake message, record or
 * control message can be set, xored, truncated, duplicated, reordered, dropped or replayed from
 * another session. With {@link Bugs#none()} it is an honest peer, which the sanity brackets use.
 *
 * <p>After the handshake it keeps the record layer in step with the honest peer exactly as
 * docs/protocol.md section 8 prescribes (ratchet, key updates, its own rekeys), so later attacks
 * are judged on their own. It answers pings and requested key updates like an honest peer.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class EvilPeer implements AutoCloseable {
    /** Default wait for a frame from the honest peer. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

    private final Role role;
    private final HandshakeConfig config;
    private final SecureRandom random;
    private final Wire wire;
    private Bugs bugs;
    private final FrameOp.Held held = new FrameOp.Held();
    private final Map<Integer, Integer> occurrences = new HashMap<>();
    private int sentFrames;

    private InitiatorHandshake initiator;
    private ResponderHandshake responder;
    private RecordWriter writer;
    private RecordReader reader;
    private Established established;
    private PeerId peerId;
    private byte[] rekeyRoot;

    private X25519.KeyPair rekeyX25519;
    private MlKem768.KeyPair rekeyKem;
    private byte[] rekeyInitBytes;
    private RecordReader handshakeReader;
    private Ticket offeredTicket;
    private Ticket receivedTicket;

    /** Every frame written, after the frame rules, in order. */
    public final List<byte[]> sent = new ArrayList<>();

    /** Every frame read from the honest peer, in order. */
    public final List<byte[]> received = new ArrayList<>();

    /** The honest peer's decrypted AuthMessage, once read. */
    public byte[] peerAuth;

    /** The last encoding of each message kind this peer built, before its bugs applied. */
    public final Map<Bugs.Msg, byte[]> built = new HashMap<>();

    private EvilPeer(Role role, SecureChannelContext context, Wire wire, Bugs bugs) {
        this.role = role;
        this.config = context.settings().handshake();
        this.random = context.settings().random();
        this.wire = wire;
        this.bugs = bugs;
    }

    /** An evil initiator speaking to an honest responder over {@code wire}. */
    public static EvilPeer initiator(SecureChannelContext context, Wire wire, Bugs bugs) {
        return new EvilPeer(Role.INITIATOR, context, wire, bugs);
    }

    /** An evil responder answering an honest initiator over {@code wire}. */
    public static EvilPeer responder(SecureChannelContext context, Wire wire, Bugs bugs) {
        return new EvilPeer(Role.RESPONDER, context, wire, bugs);
    }

    /** Replaces the bugs from now on (for attacks that start after the handshake). */
    public EvilPeer bugs(Bugs newBugs) {
        this.bugs = newBugs;
        return this;
    }

    /** The wire. */
    public Wire wire() {
        return wire;
    }

    /** The completed handshake's result, once established. */
    public Optional<Established> established() {
        return Optional.ofNullable(established);
    }

    // ------------------------------------------------------------------ handshake steps

    /** Runs the whole handshake for this peer's role. */
    public EvilPeer handshake() throws HandshakeException, RecordException {
        if (role == Role.INITIATOR) {
            sendHello();
            readResponderFlight();
            sendAuth();
        } else {
            readHello();
            sendFlight2();
            readAuth();
        }
        return this;
    }

    /**
     * Runs the handshake as an attacker would: it goes on past its own verification failures (a
     * tampered message makes its view of the transcript differ from the honest peer's), and stops
     * at the honest peer's alert or at the end of the connection.
     *
     * @return the alert the honest peer sent, if any
     */
    public Optional<AlertSeen> attemptHandshake() {
        try {
            if (role == Role.INITIATOR) {
                sendHello();
                byte[] hello = wire.readFrame(TIMEOUT);
                if (hello == null || (hello[4] & 0xFF) != ContentType.HELLO) {
                    return hello == null ? Optional.empty() : Optional.of(decodeAlert(hello));
                }
                received.add(hello);
                initiator.onResponderHello(payload(hello));
                installHandshakeKeys(
                        initiator.suite().keyLengthBytes(),
                        initiator.sendHandshakeSecret(),
                        initiator.receiveHandshakeSecret());
                byte[] auth = wire.readFrame(TIMEOUT);
                if (auth == null || (auth[4] & 0xFF) != ContentType.HANDSHAKE) {
                    return auth == null ? Optional.empty() : Optional.of(decodeAlert(auth));
                }
                received.add(auth);
                try {
                    initiator.onResponderAuth(open(auth));
                } catch (HandshakeException | RecordException e) {
                    // our transcript differs from the honest peer's: send our flight anyway
                }
                sendAuth();
            } else {
                byte[] hello = wire.readFrame(TIMEOUT);
                if (hello == null || (hello[4] & 0xFF) != ContentType.HELLO) {
                    return hello == null ? Optional.empty() : Optional.of(decodeAlert(hello));
                }
                received.add(hello);
                responder = new ResponderHandshake(config, random);
                responder.onInitiatorHello(bugs.applyMessage(Bugs.Msg.PEER_HELLO, payload(hello)));
                responder.agree();
                sendFlight2();
            }
        } catch (HandshakeException e) {
            throw new AssertionError("the evil peer's own codec refused to go on", e);
        }
        return awaitAlert();
    }

    /**
     * Offers {@code ticket} for resumption in the next hello (docs/protocol.md 5.11); the handshake
     * takes it over and wipes it.
     */
    public EvilPeer offering(Ticket ticket) {
        this.offeredTicket = ticket;
        return this;
    }

    /** The ticket the honest responder sent after the handshake, once received. */
    public Optional<Ticket> receivedTicket() {
        return Optional.ofNullable(receivedTicket);
    }

    /** Initiator, flight 1: builds the hello, applies the bugs and sends it. */
    public EvilPeer sendHello() {
        initiator = new InitiatorHandshake(config, random, offeredTicket);
        offeredTicket = null;
        byte[] hello = initiator.start();
        built.put(Bugs.Msg.INITIATOR_HELLO, hello);
        send(
                RecordWriter.plaintextFrame(
                        ALLOC,
                        ContentType.HELLO,
                        bugs.applyMessage(Bugs.Msg.INITIATOR_HELLO, hello)));
        return this;
    }

    /** Initiator, flight 2: reads and checks the responder's hello and encrypted AuthMessage. */
    public EvilPeer readResponderFlight() throws HandshakeException, RecordException {
        readResponderHello();
        peerAuth = openHandshake(expect(ContentType.HANDSHAKE));
        initiator.onResponderAuth(peerAuth);
        return this;
    }

    /** Initiator, flight 2a only: reads the responder hello and installs the handshake keys. */
    public EvilPeer readResponderHello() throws HandshakeException {
        initiator.onResponderHello(payload(expect(ContentType.HELLO)));
        installHandshakeKeys(
                initiator.suite().keyLengthBytes(),
                initiator.sendHandshakeSecret(),
                initiator.receiveHandshakeSecret());
        return this;
    }

    /** Initiator, flight 3: signs, applies the bugs, encrypts and sends; then switches to data. */
    public EvilPeer sendAuth() throws HandshakeException {
        byte[] auth = initiator.buildAuth(config.certificateSource().currentCertificate());
        built.put(Bugs.Msg.AUTH, auth);
        send(seal(ContentType.HANDSHAKE, bugs.applyMessage(Bugs.Msg.AUTH, auth)));
        activate(initiator.established());
        return this;
    }

    /** Responder, flight 1: reads and checks the initiator's hello, then agrees. */
    public EvilPeer readHello() throws HandshakeException {
        responder = new ResponderHandshake(config, random);
        responder.onInitiatorHello(
                bugs.applyMessage(Bugs.Msg.PEER_HELLO, payload(expect(ContentType.HELLO))));
        responder.agree();
        return this;
    }

    /** Responder, flight 2: sends the (modified) hello and the (modified) encrypted AuthMessage. */
    public EvilPeer sendFlight2() throws HandshakeException {
        sendResponderHello();
        sendResponderAuth();
        return this;
    }

    /** Responder, flight 2a only. */
    public EvilPeer sendResponderHello() {
        byte[] hello = responder.responderHello();
        built.put(Bugs.Msg.RESPONDER_HELLO, hello);
        send(
                RecordWriter.plaintextFrame(
                        ALLOC,
                        ContentType.HELLO,
                        bugs.applyMessage(Bugs.Msg.RESPONDER_HELLO, hello)));
        installHandshakeKeys(
                responder.suite().keyLengthBytes(),
                responder.sendHandshakeSecret(),
                responder.receiveHandshakeSecret());
        return this;
    }

    /** Responder, flight 2b only. */
    public EvilPeer sendResponderAuth() throws HandshakeException {
        byte[] auth = responder.buildAuth(config.certificateSource().currentCertificate());
        built.put(Bugs.Msg.AUTH, auth);
        send(seal(ContentType.HANDSHAKE, bugs.applyMessage(Bugs.Msg.AUTH, auth)));
        return this;
    }

    /** Responder, flight 3: reads and checks the initiator's AuthMessage; then switches to data. */
    public EvilPeer readAuth() throws HandshakeException, RecordException {
        peerAuth = openHandshake(expect(ContentType.HANDSHAKE));
        responder.onInitiatorAuth(peerAuth);
        activate(responder.established());
        return this;
    }

    private void installHandshakeKeys(int keyLength, byte[] send, byte[] receive) {
        writer = new RecordWriter(keyLength);
        writer.install(0, send);
        reader = new RecordReader(keyLength);
        reader.install(0, receive);
    }

    private void activate(Established est) {
        established = est;
        peerId = est.peerId;
        int keyLength = est.suite.keyLengthBytes();
        writer.destroy();
        handshakeReader = reader; // kept: the peer's failure alert may still come under it
        writer = new RecordWriter(keyLength);
        writer.install(1, est.sendTrafficSecret.copy());
        reader = new RecordReader(keyLength);
        reader.install(1, est.receiveTrafficSecret.copy());
        rekeyRoot = est.rekeyRoot.copy();
    }

    // ------------------------------------------------------------------ records

    /** Sends application data as one record, keeping the ratchet in step. */
    public EvilPeer sendApplication(byte[] plaintext) {
        sendRecord(ContentType.APPLICATION_DATA, plaintext, false, null);
        return this;
    }

    /** Sends a control message (after the CONTROL bugs), keeping the ratchet in step. */
    public EvilPeer sendControl(ControlMessage message) {
        byte[] bytes = bugs.applyMessage(Bugs.Msg.CONTROL, message.toByteArray());
        boolean keyUpdate = message.hasKeyUpdate();
        sendRecord(ContentType.CONTROL, bytes, keyUpdate, null);
        return this;
    }

    /** Sends a {@code KeyUpdate} and ratchets the sending direction after it. */
    public EvilPeer sendKeyUpdate(boolean requestPeer) {
        return sendControl(
                ControlMessage.newBuilder()
                        .setKeyUpdate(KeyUpdate.newBuilder().setUpdateRequested(requestPeer))
                        .build());
    }

    /** Sends a {@code Ping}. */
    public EvilPeer sendPing(long nonce) {
        return sendControl(
                ControlMessage.newBuilder().setPing(Ping.newBuilder().setNonce(nonce)).build());
    }

    /** Starts a rekey (docs/protocol.md 8.3) as rekey initiator; {@link #receive} completes it. */
    public EvilPeer startRekey() {
        rekeyX25519 = X25519.generate(random);
        RekeyInit.Builder init =
                RekeyInit.newBuilder()
                        .setX25519Share(ByteString.copyFrom(rekeyX25519.publicKey()))
                        .setSenderPeerId(ByteString.copyFrom(config.identity().peerId().toBytes()));
        if (established.suite.isHybrid()) {
            rekeyKem = MlKem768.generate(random);
            init.setMlkem768EncapsulationKey(ByteString.copyFrom(rekeyKem.encapsulationKey()));
        }
        byte[] bytes =
                bugs.applyMessage(
                        Bugs.Msg.CONTROL,
                        ControlMessage.newBuilder().setRekeyInit(init).build().toByteArray());
        rekeyInitBytes = bytes;
        sendRecord(ContentType.CONTROL, bytes, false, null);
        return this;
    }

    /** Sends an encrypted record of any type and content, with no key change after it. */
    public EvilPeer sendRaw(int contentType, byte[] plaintext) {
        send(seal(contentType, plaintext));
        return this;
    }

    /** Sends an encrypted alert. */
    public EvilPeer sendAlert(AlertCode alert) {
        return sendRaw(ContentType.ALERT, new byte[] {(byte) alert.wireValue()});
    }

    /** Writes raw bytes, bypassing every rule. */
    public EvilPeer writeRaw(byte[] bytes) {
        wire.write(bytes);
        return this;
    }

    private void sendRecord(int type, byte[] plaintext, boolean keyUpdate, byte[] rekeyed) {
        send(seal(type, plaintext));
        if (bugs.skipsRatchet()) {
            return;
        }
        if (keyUpdate) {
            writer.ratchet();
        } else if (rekeyed != null) {
            writer.install(writer.epoch() + 1, rekeyed);
        } else if (writer.ratchetDue(
                established.ratchetIntervalRecords, established.ratchetIntervalBytes)) {
            writer.ratchet();
        }
    }

    /** Seals under the current sending key (advances the sequence number). */
    public byte[] seal(int type, byte[] plaintext) {
        ByteBuf frame = writer.seal(ALLOC, type, plaintext);
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    private void send(ByteBuf frame) {
        try {
            send(ByteBufUtil.getBytes(frame));
        } finally {
            frame.release();
        }
    }

    /** Sends one frame through the frame rules. */
    public void send(byte[] frame) {
        int type = frame.length > 4 ? frame[4] & 0xFF : -1;
        long epoch =
                frame.length >= 9
                        ? ((frame[5] & 0xFFL) << 24)
                                | ((frame[6] & 0xFF) << 16)
                                | ((frame[7] & 0xFF) << 8)
                                | (frame[8] & 0xFF)
                        : -1;
        int occurrence = occurrences.merge(type, 1, Integer::sum) - 1;
        FrameOp.FrameInfo info = new FrameOp.FrameInfo(sentFrames++, type, occurrence, epoch);
        List<byte[]> out = List.of(frame);
        boolean matched = false;
        for (Bugs.FrameRule rule : bugs.frameRules()) {
            if (rule.which().matches(info)) {
                matched = true;
                List<byte[]> next = new ArrayList<>();
                for (byte[] f : out) {
                    next.addAll(rule.op().apply(f, held));
                }
                out = next;
            }
        }
        for (byte[] f : out) {
            write(f);
        }
        if (!matched && !held.frames.isEmpty()) {
            List<byte[]> release = new ArrayList<>(held.frames);
            held.frames.clear();
            release.forEach(this::write);
        }
    }

    private void write(byte[] frame) {
        sent.add(frame);
        if (corked != null) {
            corked.writeBytes(frame);
        } else {
            wire.write(frame);
        }
    }

    private java.io.ByteArrayOutputStream corked;

    /** Buffers every frame sent from now on until {@link #uncork()}. */
    public EvilPeer cork() {
        corked = new java.io.ByteArrayOutputStream();
        return this;
    }

    /** Returns what was buffered since {@link #cork()} without writing it, and stops buffering. */
    public byte[] uncorkedBytes() {
        byte[] all = corked.toByteArray();
        corked = null;
        return all;
    }

    /** Writes everything buffered since {@link #cork()} in one write (coalesced frames). */
    public EvilPeer uncork() {
        byte[] all = corked.toByteArray();
        corked = null;
        wire.write(all);
        return this;
    }

    // ------------------------------------------------------------------ inbound

    /** What arrived from the honest peer. */
    public record Inbound(int type, byte[] plaintext, Optional<AlertSeen> alert) {
        /** Whether the honest peer closed the connection. */
        public boolean isEof() {
            return type == -1;
        }
    }

    /**
     * An alert record: its code when this peer could decrypt it, its fragment length, and whether
     * it was encrypted.
     */
    public record AlertSeen(Optional<AlertCode> code, int fragmentLength, boolean encrypted) {}

    /**
     * Reads and processes the next record after the handshake: decrypts it, follows the honest
     * peer's key changes, answers pings, requested key updates and rekey responses.
     */
    public Inbound receive() throws RecordException {
        byte[] frame = wire.readFrame(TIMEOUT);
        if (frame == null) {
            return new Inbound(-1, new byte[0], Optional.empty());
        }
        received.add(frame);
        int type = frame[4] & 0xFF;
        if (type == ContentType.ALERT) {
            return new Inbound(type, new byte[0], Optional.of(decodeAlert(frame)));
        }
        byte[] plain = open(frame);
        if (type == ContentType.CONTROL) {
            onControl(plain);
        } else {
            afterReceive(false, null);
        }
        return new Inbound(type, plain, Optional.empty());
    }

    /** Receives until application data arrives, and returns it. */
    public byte[] receiveApplication() throws RecordException {
        for (int i = 0; i < 1000; i++) {
            Inbound in = receive();
            if (in.type() == ContentType.APPLICATION_DATA) {
                return in.plaintext();
            }
            if (in.isEof() || in.alert().isPresent()) {
                throw new AssertionError("no application data: " + in);
            }
        }
        throw new AssertionError("no application data in 1000 records");
    }

    /**
     * Reads until an alert or the end of the connection (bounded), and returns the alert, if any.
     * Records it cannot decrypt any more are skipped.
     */
    public Optional<AlertSeen> awaitAlert() {
        for (int i = 0; i < 10_000; i++) {
            byte[] frame;
            try {
                frame = wire.readFrame(TIMEOUT);
            } catch (AssertionError timeout) {
                return Optional.empty();
            }
            if (frame == null) {
                return Optional.empty();
            }
            received.add(frame);
            if ((frame[4] & 0xFF) == ContentType.ALERT) {
                return Optional.of(decodeAlert(frame));
            }
            if (established != null) {
                try {
                    byte[] plain = open(frame);
                    if ((frame[4] & 0xFF) == ContentType.CONTROL) {
                        onControl(plain);
                    } else {
                        afterReceive(false, null);
                    }
                } catch (RecordException e) {
                    // the peer's keys moved on in a way we did not follow; keep looking for the end
                }
            }
        }
        return Optional.empty();
    }

    /** The alert's code, or fails the test when none came. */
    public AlertCode awaitAlertCode() {
        AlertSeen seen = awaitAlert().orElseThrow(() -> new AssertionError("no alert received"));
        return seen.code()
                .orElseThrow(() -> new AssertionError("alert could not be decrypted: " + seen));
    }

    private AlertSeen decodeAlert(byte[] frame) {
        int fragment = frame.length - RecordFormat.HEADER_LENGTH;
        if (fragment == 1) {
            return new AlertSeen(Optional.of(AlertCode.fromWire(frame[9] & 0xFF)), 1, false);
        }
        long epoch =
                ((frame[5] & 0xFFL) << 24)
                        | ((frame[6] & 0xFF) << 16)
                        | ((frame[7] & 0xFF) << 8)
                        | (frame[8] & 0xFF);
        RecordReader r = epoch == 0 && handshakeReader != null ? handshakeReader : reader;
        if (r == null || !r.hasKey()) {
            return new AlertSeen(Optional.empty(), fragment, true);
        }
        try {
            byte[] plain = open(r, frame);
            return new AlertSeen(
                    plain.length == 1
                            ? Optional.of(AlertCode.fromWire(plain[0] & 0xFF))
                            : Optional.empty(),
                    fragment,
                    true);
        } catch (RecordException e) {
            return new AlertSeen(Optional.empty(), fragment, true);
        }
    }

    private void onControl(byte[] plain) throws RecordException {
        ControlMessage message;
        try {
            message = ControlMessage.parseFrom(plain);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("honest peer sent an undecodable control message", e);
        }
        switch (message.getBodyCase()) {
            case KEY_UPDATE:
                afterReceive(true, null);
                if (message.getKeyUpdate().getUpdateRequested()) {
                    sendKeyUpdate(false);
                }
                break;
            case REKEY_RESPONSE:
                onRekeyResponse(plain, message);
                break;
            case PING:
                afterReceive(false, null);
                sendControl(
                        ControlMessage.newBuilder()
                                .setPong(Pong.newBuilder().setNonce(message.getPing().getNonce()))
                                .build());
                break;
            case REKEY_INIT:
                throw new AssertionError(
                        "EvilPeer does not answer rekeys started by the honest peer");
            case NEW_TICKET:
                afterReceive(false, null);
                keepTicket(message.getNewTicket());
                break;
            default:
                afterReceive(false, null);
                break;
        }
    }

    private void onRekeyResponse(byte[] responseBytes, ControlMessage message) {
        byte[] dh;
        byte[] kem = null;
        try {
            if (rekeyKem != null) {
                kem =
                        rekeyKem.decapsulate(
                                message.getRekeyResponse().getMlkem768Ciphertext().toByteArray());
            }
            dh = rekeyX25519.agree(message.getRekeyResponse().getX25519Share().toByteArray());
        } catch (InvalidKeyException e) {
            throw new AssertionError("honest peer sent a bad rekey share", e);
        }
        TranscriptHash hash = new TranscriptHash();
        hash.add(rekeyInitBytes);
        hash.add(responseBytes);
        byte[] rh = hash.current();
        byte[] shared = kem == null ? dh : concat(kem, dh);
        rekeyRoot = KeySchedule.nextRekeyRoot(rekeyRoot, rh, shared);
        byte[] send =
                KeySchedule.rekeyedTrafficSecret(rekeyRoot, established.role == Role.INITIATOR, rh);
        byte[] receive =
                KeySchedule.rekeyedTrafficSecret(
                        rekeyRoot, established.role.peer() == Role.INITIATOR, rh);
        afterReceive(false, receive);
        sendRecord(
                ContentType.CONTROL,
                bugs.applyMessage(
                        Bugs.Msg.CONTROL,
                        ControlMessage.newBuilder()
                                .setRekeyConfirm(RekeyConfirm.getDefaultInstance())
                                .build()
                                .toByteArray()),
                false,
                send);
        rekeyX25519 = null;
        rekeyKem = null;
    }

    private void afterReceive(boolean keyUpdate, byte[] rekeyed) {
        if (keyUpdate) {
            reader.ratchet();
        } else if (rekeyed != null) {
            reader.install(reader.epoch() + 1, rekeyed);
        } else if (reader.ratchetDue(
                established.ratchetIntervalRecords, established.ratchetIntervalBytes)) {
            reader.ratchet();
        }
    }

    /** Opens a record under the current receiving key. */
    public byte[] open(byte[] frame) throws RecordException {
        return open(reader, frame);
    }

    private static byte[] open(RecordReader reader, byte[] frame) throws RecordException {
        ByteBuf in = Unpooled.wrappedBuffer(frame);
        try {
            ByteBuf plain = reader.open(ALLOC, in);
            try {
                return ByteBufUtil.getBytes(plain);
            } finally {
                plain.release();
            }
        } finally {
            in.release();
        }
    }

    /** Reads the next frame; fails the test unless it is of {@code type}. */
    public byte[] expect(int type) {
        byte[] frame = wire.readFrame(TIMEOUT);
        if (frame == null) {
            throw new AssertionError(
                    "connection closed while waiting for " + ContentType.name(type));
        }
        received.add(frame);
        if ((frame[4] & 0xFF) != type) {
            String what = ContentType.name(frame[4] & 0xFF);
            if ((frame[4] & 0xFF) == ContentType.ALERT) {
                what += " " + decodeAlert(frame);
            }
            throw new AssertionError("expected " + ContentType.name(type) + ", got " + what);
        }
        return frame;
    }

    private byte[] openHandshake(byte[] frame) throws RecordException {
        return open(frame);
    }

    /** The payload of a plaintext frame. */
    public static byte[] payload(byte[] frame) {
        byte[] out = new byte[frame.length - RecordFormat.HEADER_LENGTH];
        System.arraycopy(frame, RecordFormat.HEADER_LENGTH, out, 0, out.length);
        return out;
    }

    /** A plaintext frame of {@code type} and epoch 0. */
    public static byte[] plaintextFrame(int type, byte[] payload) {
        ByteBuf f = RecordWriter.plaintextFrame(ALLOC, type, payload);
        try {
            return ByteBufUtil.getBytes(f);
        } finally {
            f.release();
        }
    }

    /** A frame with any header fields and fragment, without encryption. */
    public static byte[] rawFrame(long length, int type, long epoch, byte[] fragment) {
        ByteBuf f = Unpooled.buffer(9 + fragment.length);
        f.writeInt((int) length).writeByte(type).writeInt((int) epoch).writeBytes(fragment);
        try {
            return ByteBufUtil.getBytes(f);
        } finally {
            f.release();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The sending record writer, for tests that copy its state. */
    public RecordWriter writer() {
        return writer;
    }

    /** The receiving record reader. */
    public RecordReader reader() {
        return reader;
    }

    /** The honest peer's authenticated id, once established. */
    public PeerId peerId() {
        return peerId;
    }

    @Override
    public void close() {
        if (writer != null) {
            writer.destroy();
        }
        if (reader != null) {
            reader.destroy();
        }
        if (handshakeReader != null) {
            handshakeReader.destroy();
        }
        if (established != null) {
            established.destroy();
        }
        wire.close();
    }

    /** Keeps the honest responder's ticket as an honest initiator would (docs/protocol.md 5.11). */
    private void keepTicket(io.p2pchat.proto.NewTicket message) {
        if (established.resumptionSecret == null) {
            throw new AssertionError("the honest peer sent a ticket nobody asked for");
        }
        byte[] psk =
                io.p2pchat.crypto.KeySchedule.ticketPsk(
                        established.resumptionSecret.bytes(),
                        message.getTicketNonce().toByteArray());
        receivedTicket =
                new Ticket(
                        message.getTicketId().toByteArray(),
                        psk,
                        established.peerId,
                        established.peerPublicKey,
                        established.peerCertificate,
                        established.suite,
                        established.peerNetworkId,
                        Long.MAX_VALUE);
    }
}
