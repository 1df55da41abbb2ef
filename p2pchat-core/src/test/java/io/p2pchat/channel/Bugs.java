package io.p2pchat.channel;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.p2pchat.proto.AuthMessage;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.PeerIdentity;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * How an {@link EvilPeer} misbehaves, BoGo-style: an immutable bag of modifiers, composed with
 * {@code Bugs.none().field(...).frame(...)}.
 *
 * <ul>
 *   <li><b>Message modifiers</b> change a handshake or control message after our codec built it and
 *       before it is framed or encrypted: {@link FieldMod}s on any field ({@link #field}) or a raw
 *       byte rewrite of the encoding ({@link #bytes}). Our own transcript keeps what the codec
 *       built, so a modified hello models a man in the middle; a modified {@code AuthMessage} is
 *       still encrypted correctly, so the peer sees exactly the modified fields.
 *   <li><b>Frame rules</b> act on whole frames as they go on the wire: set, xor, truncate, drop,
 *       duplicate, reorder, replace by a frame of another session, inject ({@link FrameOp}).
 *   <li><b>Flags</b> for record-layer behaviour: {@link #skipRatchet()} keeps sending under the old
 *       key after a ratchet is due.
 * </ul>
 */
public final class Bugs {
    /** The messages a modifier can target. */
    public enum Msg {
        /** {@code HelloMessage} carrying {@code initiator_hello} (flight 1). */
        INITIATOR_HELLO,
        /** {@code HelloMessage} carrying {@code responder_hello} (flight 2a). */
        RESPONDER_HELLO,
        /** The sender's {@code AuthMessage} plaintext (flight 2b or 3). */
        AUTH,
        /** The {@code PeerIdentity} inside the sender's {@code AuthMessage.identity}. */
        IDENTITY,
        /** Every {@code ControlMessage} the peer sends after the handshake. */
        CONTROL,
        /**
         * The initiator hello this (responder) peer received, as its codec sees it: models a man in
         * the middle who rewrote the honest initiator's hello in transit before a real responder.
         */
        PEER_HELLO
    }

    private final Map<Msg, List<UnaryOperator<byte[]>>> messageMods;
    private final List<FrameRule> frameRules;
    private final boolean skipRatchet;

    private Bugs(
            Map<Msg, List<UnaryOperator<byte[]>>> messageMods,
            List<FrameRule> frameRules,
            boolean skipRatchet) {
        this.messageMods = messageMods;
        this.frameRules = frameRules;
        this.skipRatchet = skipRatchet;
    }

    /** No misbehaviour: the peer is honest. */
    public static Bugs none() {
        return new Bugs(new EnumMap<>(Msg.class), List.of(), false);
    }

    /** Adds field modifiers for {@code msg}. */
    public Bugs field(Msg msg, FieldMod... mods) {
        Bugs out = this;
        for (FieldMod mod : mods) {
            out = out.bytes(msg, encoded -> mod.apply(parse(msg, encoded)).toByteArray());
        }
        return out;
    }

    /** Adds a rewrite of the encoded bytes of {@code msg}. */
    public Bugs bytes(Msg msg, UnaryOperator<byte[]> rewrite) {
        Map<Msg, List<UnaryOperator<byte[]>>> copy = new EnumMap<>(Msg.class);
        messageMods.forEach((k, v) -> copy.put(k, new ArrayList<>(v)));
        copy.computeIfAbsent(msg, k -> new ArrayList<>()).add(rewrite);
        return new Bugs(copy, frameRules, skipRatchet);
    }

    /** Adds a rule for frames chosen by {@code which}. */
    public Bugs frame(FrameOp.Selector which, FrameOp op) {
        List<FrameRule> rules = new ArrayList<>(frameRules);
        rules.add(new FrameRule(which, op));
        return new Bugs(messageMods, List.copyOf(rules), skipRatchet);
    }

    /** Never ratchets the sending key, so records after the ratchet point use a stale epoch. */
    public Bugs skipRatchet() {
        return new Bugs(messageMods, frameRules, true);
    }

    boolean skipsRatchet() {
        return skipRatchet;
    }

    /** Applies the message modifiers of {@code msg} to its encoding. */
    byte[] applyMessage(Msg msg, byte[] encoded) {
        byte[] out = encoded;
        if (msg == Msg.AUTH && messageMods.containsKey(Msg.IDENTITY)) {
            AuthMessage auth = (AuthMessage) parse(Msg.AUTH, out);
            byte[] identity = auth.getIdentity().toByteArray();
            for (UnaryOperator<byte[]> mod : messageMods.get(Msg.IDENTITY)) {
                identity = mod.apply(identity);
            }
            out =
                    auth.toBuilder()
                            .setIdentity(com.google.protobuf.ByteString.copyFrom(identity))
                            .build()
                            .toByteArray();
        }
        for (UnaryOperator<byte[]> mod : messageMods.getOrDefault(msg, List.of())) {
            out = mod.apply(out);
        }
        return out;
    }

    /** The rules that apply to a frame, in order. */
    List<FrameRule> frameRules() {
        return frameRules;
    }

    static Message parse(Msg msg, byte[] encoded) {
        try {
            switch (msg) {
                case INITIATOR_HELLO:
                case RESPONDER_HELLO:
                case PEER_HELLO:
                    return HelloMessage.parseFrom(encoded);
                case AUTH:
                    return AuthMessage.parseFrom(encoded);
                case IDENTITY:
                    return PeerIdentity.parseFrom(encoded);
                default:
                    return ControlMessage.parseFrom(encoded);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("cannot modify a message that does not parse", e);
        }
    }

    /** A frame rule: which frames, and what to do with them. */
    record FrameRule(FrameOp.Selector which, FrameOp op) {}
}
