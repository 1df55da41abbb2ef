package io.p2pchat.channel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What an {@link EvilPeer} does with one outgoing frame (a whole record, length field included):
 * returns the frames to put on the wire instead, zero or more. Operations that need memory across
 * frames (reorder) keep it in the {@link Held} list the peer passes in.
 */
@FunctionalInterface
public interface FrameOp {
    /** Returns the frames to send instead of {@code frame}. */
    List<byte[]> apply(byte[] frame, Held held);

    /** Frames an operation held back, released before the next frame that no rule holds. */
    final class Held {
        final List<byte[]> frames = new ArrayList<>();
    }

    /** Facts about an outgoing frame, to select it. */
    record FrameInfo(int index, int type, int occurrence, long epoch) {}

    /** Chooses frames. */
    @FunctionalInterface
    interface Selector {
        boolean matches(FrameInfo frame);

        /** The {@code n}-th frame this peer sends (0-based, every type). */
        static Selector nth(int n) {
            return f -> f.index() == n;
        }

        /** The {@code occurrence}-th frame of content type {@code type} (0-based). */
        static Selector type(int type, int occurrence) {
            return f -> f.type() == type && f.occurrence() == occurrence;
        }

        /** Every frame of content type {@code type}. */
        static Selector everyOfType(int type) {
            return f -> f.type() == type;
        }
    }

    /** Drops the frame: it never reaches the wire. */
    static FrameOp drop() {
        return (f, h) -> List.of();
    }

    /** Sends the frame twice. */
    static FrameOp duplicate() {
        return (f, h) -> List.of(f, f.clone());
    }

    /** XORs byte {@code offset} (from the length field) with {@code mask}. */
    static FrameOp xor(int offset, int mask) {
        return (f, h) -> {
            byte[] out = f.clone();
            out[Math.floorMod(offset, out.length)] ^= (byte) mask;
            return List.of(out);
        };
    }

    /** Overwrites bytes from {@code offset} (from the length field). */
    static FrameOp set(int offset, byte... bytes) {
        return (f, h) -> {
            byte[] out = f.clone();
            System.arraycopy(bytes, 0, out, offset, bytes.length);
            return List.of(out);
        };
    }

    /**
     * Sends only the first {@code length} bytes: a stream truncation, the length field unchanged.
     */
    static FrameOp truncateTo(int length) {
        return (f, h) -> List.of(Arrays.copyOf(f, Math.min(length, f.length)));
    }

    /**
     * Cuts the fragment to {@code fragmentLength} bytes and fixes the length field, so the frame is
     * well formed but its content is truncated.
     */
    static FrameOp truncateFragment(int fragmentLength) {
        return (f, h) -> {
            int keep = Math.min(9 + fragmentLength, f.length);
            byte[] out = Arrays.copyOf(f, keep);
            int length = keep - 4;
            out[0] = (byte) (length >>> 24);
            out[1] = (byte) (length >>> 16);
            out[2] = (byte) (length >>> 8);
            out[3] = (byte) length;
            return List.of(out);
        };
    }

    /** Sends {@code replacement} (for example a frame recorded in another session) instead. */
    static FrameOp replaceWith(byte[] replacement) {
        return (f, h) -> List.of(replacement.clone());
    }

    /** Sends the frame, then {@code extra} (injection). */
    static FrameOp thenSend(byte[] extra) {
        return (f, h) -> List.of(f, extra.clone());
    }

    /** Holds the frame back and sends it after the next frame: swaps frames n and n+1. */
    static FrameOp holdUntilNext() {
        return (f, h) -> {
            h.frames.add(f);
            return List.of();
        };
    }
}
