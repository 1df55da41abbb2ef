package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.testing.FixedEntropy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Jazzer fuzz targets of the secure channel (ATTACKS F-09): the frame decoder, each handshake
 * message as received by each role, record decryption with a random key, control messages after the
 * handshake, and the length-delimited Protobuf decoder with application messages.
 *
 * <p>In a normal build ({@code mvn verify}) each target runs once per committed seed in {@code
 * src/test/resources/io/p2pchat/adversarial/ChannelFuzzTestInputs/<method>/} (regression mode).
 * {@code ./fuzz [seconds]} fuzzes each target for a bounded time ({@code JAZZER_FUZZ=1}). Targets
 * are deterministic: fixed identities and {@link FixedEntropy} make every byte the honest side
 * draws depend on the input only.
 *
 * <p>The contract checked on every input: no exception other than the protocol's declared ones
 * ({@link io.p2pchat.channel.ErrorCoded} or Netty's {@code DecoderException}) reaches the
 * application or escapes the pipeline, nothing is emitted after a framing error, and nothing leaks
 * (the leak extension fails the class on any {@code LEAK}). Hangs are Jazzer's per-input timeout.
 */
@Tag("adversarial")
class ChannelFuzzTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

    /** Fixed identities and the recorded honest flights they give. */
    static final class Fixture {
        static final LocalIdentity ALICE =
                LocalIdentity.generate(2048, new FixedEntropy("fuzz alice"));
        static final LocalIdentity BOB = LocalIdentity.generate(2048, new FixedEntropy("fuzz bob"));
        static final byte[] INITIATOR_HELLO;
        static final byte[] RESPONDER_HELLO;
        static final byte[] RESPONDER_AUTH;
        static final byte[] INITIATOR_AUTH;
        static final byte[] I_HS;
        static final byte[] R_HS;
        static final int KEY_LENGTH;

        static {
            try {
                InitiatorHandshake i =
                        new InitiatorHandshake(
                                initiatorContext().settings().handshake(), new FixedEntropy("fi"));
                INITIATOR_HELLO = i.start();
                ResponderHandshake r =
                        new ResponderHandshake(
                                responderContext().settings().handshake(), new FixedEntropy("fr"));
                r.onInitiatorHello(INITIATOR_HELLO);
                r.agree();
                RESPONDER_HELLO = r.responderHello();
                R_HS = r.sendHandshakeSecret();
                I_HS = r.receiveHandshakeSecret();
                RESPONDER_AUTH = r.buildAuth(new byte[0]);
                i.onResponderHello(RESPONDER_HELLO);
                i.onResponderAuth(RESPONDER_AUTH);
                INITIATOR_AUTH = i.buildAuth(new byte[0]);
                KEY_LENGTH = i.suite().keyLengthBytes();
                i.destroy();
                r.destroy();
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static SecureChannelContext initiatorContext() {
            return context(ALICE, "fi");
        }

        static SecureChannelContext responderContext() {
            return context(BOB, "fr");
        }

        /**
         * A deterministic context: fixed entropy, and no delegated credential, whose validity would
         * follow the wall clock.
         */
        private static SecureChannelContext context(LocalIdentity id, String entropy) {
            return SecureChannelContext.builder(id)
                    .peerVerifier(PeerVerifier.insecureAcceptAny())
                    .delegatedCredentials(false)
                    .cryptoExecutor(Runnable::run)
                    .secureRandom(new FixedEntropy(entropy))
                    .build();
        }
    }

    // ------------------------------------------------------------------ the contract

    /** Whether {@code t} is one of the protocol's declared failures. */
    static boolean declared(Throwable t) {
        return ErrorCode.of(t) != null;
    }

    private static void rethrowUndeclared(Throwable t) {
        if (!declared(t)) {
            throw new AssertionError("undeclared exception: " + t, t);
        }
    }

    /** Checks what reached the application, then releases everything left in the channel. */
    private static void finish(EmbeddedChannel ch, Probe probe) {
        ch.runPendingTasks();
        drainOutbound(ch);
        probe.completion()
                .flatMap(HandshakeCompletionEvent::cause)
                .ifPresent(ChannelFuzzTest::rethrowUndeclared);
        probe.errors.forEach(ChannelFuzzTest::rethrowUndeclared);
        ch.finishAndReleaseAll();
    }

    private static void drainOutbound(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    private static ByteBuf frame(int type, byte[] payload) {
        return Unpooled.wrappedBuffer(EvilPeer.plaintextFrame(type, payload));
    }

    private static ByteBuf sealed(byte[] secret, int type, byte[] plaintext) {
        RecordWriter writer = new RecordWriter(Fixture.KEY_LENGTH);
        writer.install(0, secret.clone());
        try {
            return writer.seal(ALLOC, type, plaintext);
        } finally {
            writer.destroy();
        }
    }

    private static EmbeddedChannel honest(SecureChannelContext context, Role role, Probe probe) {
        EmbeddedChannel ch = new EmbeddedChannel();
        context.addHandlers(ch.pipeline(), role);
        ch.pipeline().addLast(probe);
        ch.runPendingTasks();
        drainOutbound(ch);
        return ch;
    }

    // ------------------------------------------------------------------ targets

    /**
     * The frame decoder on arbitrary bytes in arbitrary chunks: declared errors, no frame after.
     */
    @FuzzTest(maxDuration = "5m")
    void frameDecoder(byte[] data) {
        EmbeddedChannel ch =
                new EmbeddedChannel(new FrameDecoder(ChannelSettings.HANDSHAKE_FRAME_LIMIT));
        int chunk = data.length == 0 ? 1 : 1 + (data[0] & 0x3F);
        boolean failed = false;
        for (int off = 0; off < data.length; off += chunk) {
            byte[] part =
                    java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + chunk));
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(part));
            } catch (RuntimeException e) {
                rethrowUndeclared(e);
                failed = true;
            }
            ByteBuf f;
            while ((f = ch.readInbound()) != null) {
                try {
                    assertThat(failed).as("frame after a framing error").isFalse();
                    assertThat(f.getUnsignedInt(f.readerIndex())).isEqualTo(f.readableBytes() - 4L);
                    assertThat(f.readableBytes() - 4)
                            .isBetween(5, ChannelSettings.HANDSHAKE_FRAME_LIMIT);
                } finally {
                    f.release();
                }
            }
        }
        ch.finishAndReleaseAll();
    }

    /** An InitiatorHello (the HELLO payload) at a responder. */
    @FuzzTest(maxDuration = "5m")
    void initiatorHelloAtResponder(byte[] hello) {
        Probe probe = new Probe(false);
        EmbeddedChannel ch = honest(Fixture.responderContext(), Role.RESPONDER, probe);
        ch.writeInbound(frame(ContentType.HELLO, hello));
        finish(ch, probe);
    }

    /** A ResponderHello (the HELLO payload) at an initiator that sent the fixed hello. */
    @FuzzTest(maxDuration = "5m")
    void responderHelloAtInitiator(byte[] hello) {
        Probe probe = new Probe(false);
        EmbeddedChannel ch = honest(Fixture.initiatorContext(), Role.INITIATOR, probe);
        ch.writeInbound(frame(ContentType.HELLO, hello));
        finish(ch, probe);
    }

    /** The responder's AuthMessage plaintext, encrypted correctly, at the initiator. */
    @FuzzTest(maxDuration = "5m")
    void responderAuthAtInitiator(byte[] auth) {
        Probe probe = new Probe(false);
        EmbeddedChannel ch = honest(Fixture.initiatorContext(), Role.INITIATOR, probe);
        ch.writeInbound(frame(ContentType.HELLO, Fixture.RESPONDER_HELLO));
        ch.runPendingTasks();
        ch.writeInbound(sealed(Fixture.R_HS, ContentType.HANDSHAKE, auth));
        finish(ch, probe);
    }

    /** The initiator's AuthMessage plaintext, encrypted correctly, at the responder. */
    @FuzzTest(maxDuration = "5m")
    void initiatorAuthAtResponder(byte[] auth) {
        Probe probe = new Probe(false);
        EmbeddedChannel ch = honest(Fixture.responderContext(), Role.RESPONDER, probe);
        ch.writeInbound(frame(ContentType.HELLO, Fixture.INITIATOR_HELLO));
        ch.runPendingTasks();
        drainOutbound(ch);
        ch.writeInbound(sealed(Fixture.I_HS, ContentType.HANDSHAKE, auth));
        finish(ch, probe);
    }

    /** Records opened under a key chosen by the input, from framed input bytes. */
    @FuzzTest(maxDuration = "5m")
    void recordDecryptRandomKey(FuzzedDataProvider data) {
        RecordReader reader = new RecordReader(16);
        byte[] key = java.util.Arrays.copyOf(data.consumeBytes(32), 32);
        reader.install(data.consumeLong(0, 3), key);
        List<Throwable> undeclared = new ArrayList<>();
        EmbeddedChannel ch =
                new EmbeddedChannel(
                        new FrameDecoder(65536),
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf f = (ByteBuf) msg;
                                try {
                                    reader.open(ALLOC, f).release();
                                } catch (RecordException e) {
                                    // declared: BAD_RECORD_MAC or WRONG_EPOCH
                                } catch (RuntimeException e) {
                                    undeclared.add(e);
                                } finally {
                                    f.release();
                                }
                            }
                        });
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(data.consumeRemainingAsBytes()));
        } catch (RuntimeException e) {
            rethrowUndeclared(e);
        }
        ch.finishAndReleaseAll();
        reader.destroy();
        assertThat(undeclared).isEmpty();
    }

    /** Control messages, encrypted correctly, at an established channel. */
    @FuzzTest(maxDuration = "5m")
    void controlAfterHandshake(FuzzedDataProvider data) {
        SecureChannelContext context = Fixture.responderContext();
        Established[] est =
                EstablishedForTesting.pair(
                        Fixture.ALICE,
                        Fixture.BOB,
                        CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256,
                        8,
                        (byte) 1);
        Probe probe = new Probe(false);
        RecordCodec codec = new RecordCodec(context.settings());
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(65536), codec, probe);
        codec.activate(est[1]);
        RecordWriter evil = new RecordWriter(16);
        evil.install(1, est[0].sendTrafficSecret.copy());
        est[0].destroy();
        int n = data.consumeInt(1, 6);
        for (int k = 0; k < n && ch.isActive(); k++) {
            byte[] plain = data.consumeBytes(data.consumeInt(0, 3000));
            ch.writeInbound(evil.seal(ALLOC, ContentType.CONTROL, plain));
            ch.runPendingTasks();
            drainOutbound(ch);
            boolean keyUpdate = false;
            try {
                keyUpdate = ControlMessage.parseFrom(plain).hasKeyUpdate();
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                // the honest side closes; nothing more to keep in step with
            }
            if (keyUpdate || evil.ratchetDue(8, 1L << 34)) {
                evil.ratchet();
            }
        }
        evil.destroy();
        finish(ch, probe);
    }

    /** Length-delimited chat messages from arbitrary plaintext bytes, in arbitrary chunks. */
    @FuzzTest(maxDuration = "5m")
    void delimitedProtobuf(byte[] data) {
        EmbeddedChannel ch =
                new EmbeddedChannel(
                        new DelimitedProtobufDecoder(ChatMessage.getDefaultInstance(), 4096));
        int chunk = data.length == 0 ? 1 : 1 + (data[data.length - 1] & 0x1F);
        boolean failed = false;
        // The decoder closes the channel on a malformed or oversized message: nothing more is fed.
        // Messages that came before the bad one in the same chunk are delivered first, in order.
        for (int off = 0; off < data.length && ch.isOpen(); off += chunk) {
            byte[] part =
                    java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + chunk));
            boolean failedNow = false;
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(part));
            } catch (RuntimeException e) {
                rethrowUndeclared(e);
                failedNow = true;
            }
            Object m;
            while ((m = ch.readInbound()) != null) {
                assertThat(failed).as("message after a decoding error").isFalse();
                assertThat(m).isInstanceOf(ChatMessage.class);
            }
            failed |= failedNow || !ch.isOpen();
        }
        ch.finishAndReleaseAll();
    }

    // ------------------------------------------------------------------ seeds

    /**
     * Writes the seed corpus: {@code mvn test -Dtest=ChannelFuzzTest#writeSeeds
     * -Dp2pchat.writeSeeds=<dir of ChannelFuzzTestInputs>}. The seeds are committed.
     */
    @Test
    @EnabledIfSystemProperty(named = "p2pchat.writeSeeds", matches = ".+")
    void writeSeeds() throws IOException {
        Path root = Path.of(System.getProperty("p2pchat.writeSeeds"));
        byte[] ihFrame = EvilPeer.plaintextFrame(ContentType.HELLO, Fixture.INITIATOR_HELLO);
        seed(root, "frameDecoder", "hello-frame", ihFrame);
        seed(root, "frameDecoder", "oversize", new byte[] {0, 0, 0x40, 0x16, 1, 0, 0, 0, 0});
        seed(
                root,
                "frameDecoder",
                "two-small",
                new byte[] {0, 0, 0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 6, 3, 0, 0, 0, 1, 9});
        seed(root, "frameDecoder", "below-header", new byte[] {0, 0, 0, 4, 1, 0, 0, 0});
        seed(root, "initiatorHelloAtResponder", "valid", Fixture.INITIATOR_HELLO);
        seed(root, "initiatorHelloAtResponder", "responder-hello", Fixture.RESPONDER_HELLO);
        seed(root, "responderHelloAtInitiator", "valid", Fixture.RESPONDER_HELLO);
        seed(root, "responderHelloAtInitiator", "initiator-hello", Fixture.INITIATOR_HELLO);
        seed(root, "responderAuthAtInitiator", "valid", Fixture.RESPONDER_AUTH);
        seed(root, "responderAuthAtInitiator", "initiator-auth", Fixture.INITIATOR_AUTH);
        seed(root, "initiatorAuthAtResponder", "valid", Fixture.INITIATOR_AUTH);
        seed(root, "initiatorAuthAtResponder", "responder-auth", Fixture.RESPONDER_AUTH);
        byte[] key = new byte[32];
        seed(
                root,
                "recordDecryptRandomKey",
                "key-and-frame",
                HandshakeAttacks.concat(key, EvilPeer.rawFrame(5 + 20, 3, 1, new byte[20])));
        seed(
                root,
                "recordDecryptRandomKey",
                "short-fragment",
                HandshakeAttacks.concat(key, EvilPeer.rawFrame(5 + 3, 3, 1, new byte[3])));
        seed(
                root,
                "controlAfterHandshake",
                "key-update",
                ControlMessage.newBuilder()
                        .setKeyUpdate(
                                io.p2pchat.proto.KeyUpdate.newBuilder().setUpdateRequested(true))
                        .build()
                        .toByteArray());
        seed(
                root,
                "controlAfterHandshake",
                "ping",
                ControlMessage.newBuilder()
                        .setPing(io.p2pchat.proto.Ping.newBuilder().setNonce(7))
                        .build()
                        .toByteArray());
        seed(
                root,
                "controlAfterHandshake",
                "rekey-init",
                ControlMessage.newBuilder()
                        .setRekeyInit(
                                io.p2pchat.proto.RekeyInit.newBuilder()
                                        .setX25519Share(
                                                com.google.protobuf.ByteString.copyFrom(
                                                        new byte[32]))
                                        .setSenderPeerId(
                                                com.google.protobuf.ByteString.copyFrom(
                                                        Fixture.ALICE.peerId().toBytes())))
                        .build()
                        .toByteArray());
        ChatMessage chat =
                ChatMessage.newBuilder()
                        .setMessageId(com.google.protobuf.ByteString.copyFrom(new byte[16]))
                        .setSentAtMs(1)
                        .setText("hello")
                        .build();
        java.io.ByteArrayOutputStream two = new java.io.ByteArrayOutputStream();
        chat.writeDelimitedTo(two);
        chat.writeDelimitedTo(two);
        seed(root, "delimitedProtobuf", "two-messages", two.toByteArray());
        seed(
                root,
                "delimitedProtobuf",
                "huge-length",
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F});
        seed(
                root,
                "delimitedProtobuf",
                "long-varint",
                new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1});
    }

    private static void seed(Path root, String method, String name, byte[] bytes)
            throws IOException {
        Path dir = root.resolve(method);
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }

    /** The fixture is deterministic, so committed seeds stay valid across JVMs. */
    @Test
    void fixture_isDeterministic() {
        LocalIdentity again = LocalIdentity.generate(2048, new FixedEntropy("fuzz alice"));
        assertThat(again.peerId()).isEqualTo(Fixture.ALICE.peerId());
        InitiatorHandshake i =
                new InitiatorHandshake(
                        Fixture.initiatorContext().settings().handshake(), new FixedEntropy("fi"));
        assertThat(i.start()).isEqualTo(Fixture.INITIATOR_HELLO);
        i.destroy();
        assertThat(ByteBufUtil.hexDump(Fixture.RESPONDER_AUTH)).isNotEmpty();
    }
}
