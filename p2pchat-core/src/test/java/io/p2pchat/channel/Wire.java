package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * The byte pipe between an {@link EvilPeer} and the honest peer under test: a real loopback socket
 * ({@link #of(Socket)}) or an {@link EmbeddedChannel} running the honest pipeline ({@link
 * #of(EmbeddedChannel)}). Reads whole frames (length field included).
 */
public interface Wire extends AutoCloseable {
    /** Longest frame a wire accepts from the honest peer: its largest possible frame. */
    int MAX_FRAME = (1 << 24) + 4;

    /** Writes raw bytes (any framing). */
    void write(byte[] bytes);

    /**
     * The next whole frame from the honest peer.
     *
     * @return the frame, or {@code null} when the honest peer closed the connection
     * @throws AssertionError if nothing arrives in time
     */
    byte[] readFrame(Duration timeout);

    /** Half-closes our side (TCP FIN) without any alert. */
    void shutdownOutput();

    /** Aborts the connection (TCP RST). */
    void reset();

    /** Whether the honest peer closed the connection within {@code timeout}, discarding frames. */
    default boolean awaitEof(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < 100_000; i++) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                if (readFrame(Duration.ofNanos(left)) == null) {
                    return true;
                }
            } catch (AssertionError timeout2) {
                return false;
            }
        }
        return false;
    }

    @Override
    void close();

    /** A wire over a connected loopback socket. */
    static Wire of(Socket socket) {
        return new SocketWire(socket);
    }

    /** A wire into an embedded honest pipeline. */
    static Wire of(EmbeddedChannel channel) {
        return new EmbeddedWire(channel);
    }

    /** A loopback socket. */
    final class SocketWire implements Wire {
        private final Socket socket;
        private final DataInputStream in;

        SocketWire(Socket socket) {
            this.socket = socket;
            try {
                socket.setTcpNoDelay(true);
                this.in = new DataInputStream(socket.getInputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The socket, for tests that need it (for example to stop reading). */
        public Socket socket() {
            return socket;
        }

        @Override
        public void write(byte[] bytes) {
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // The honest peer may already have closed: what was lost is what the test checks.
            }
        }

        @Override
        public byte[] readFrame(Duration timeout) {
            try {
                socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException | SocketException e) {
                    return null;
                }
                if (length < 0 || length > MAX_FRAME) {
                    throw new AssertionError("honest peer sent a frame of length " + length);
                }
                byte[] frame = new byte[4 + length];
                frame[0] = (byte) (length >>> 24);
                frame[1] = (byte) (length >>> 16);
                frame[2] = (byte) (length >>> 8);
                frame[3] = (byte) length;
                try {
                    in.readFully(frame, 4, length);
                } catch (EOFException | SocketException e) {
                    return null;
                }
                return frame;
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no frame within " + timeout.toMillis() + " ms");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void shutdownOutput() {
            try {
                socket.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void reset() {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // ignore
            }
        }
    }

    /** An embedded honest pipeline; the clock is the channel's, moved by the test. */
    final class EmbeddedWire implements Wire {
        private final EmbeddedChannel channel;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private int offset;

        EmbeddedWire(EmbeddedChannel channel) {
            this.channel = channel;
        }

        /** The honest channel. */
        public EmbeddedChannel channel() {
            return channel;
        }

        @Override
        public void write(byte[] bytes) {
            if (channel.isOpen()) {
                channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            }
            channel.runPendingTasks();
        }

        @Override
        public byte[] readFrame(Duration timeout) {
            for (int round = 0; round < 1000; round++) {
                channel.runPendingTasks();
                byte[] frame = nextBuffered();
                if (frame != null) {
                    return frame;
                }
                ByteBuf out = channel.readOutbound();
                if (out == null) {
                    if (!channel.isOpen()) {
                        return null;
                    }
                    if (round > 2) {
                        throw new AssertionError("the embedded peer sent no frame");
                    }
                    continue;
                }
                try {
                    byte[] bytes = new byte[out.readableBytes()];
                    out.readBytes(bytes);
                    pending.writeBytes(bytes);
                } finally {
                    out.release();
                }
            }
            throw new AssertionError("the embedded peer sent no whole frame");
        }

        private byte[] nextBuffered() {
            byte[] all = pending.toByteArray();
            if (all.length - offset < 4) {
                return null;
            }
            int length =
                    ((all[offset] & 0xFF) << 24)
                            | ((all[offset + 1] & 0xFF) << 16)
                            | ((all[offset + 2] & 0xFF) << 8)
                            | (all[offset + 3] & 0xFF);
            if (all.length - offset < 4 + length) {
                return null;
            }
            byte[] frame = Arrays.copyOfRange(all, offset, offset + 4 + length);
            offset += 4 + length;
            return frame;
        }

        @Override
        public void shutdownOutput() {
            // An embedded channel has no half-close: the remote end simply goes away.
            reset();
        }

        @Override
        public void reset() {
            if (channel.isOpen()) {
                channel.unsafe().close(channel.voidPromise());
            }
            channel.runPendingTasks();
        }

        @Override
        public void close() {
            channel.finishAndReleaseAll();
        }
    }
}
