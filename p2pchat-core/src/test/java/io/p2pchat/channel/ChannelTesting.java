package io.p2pchat.channel;

/**
 * Test access to a {@link RecordCodec}'s record state from other packages and modules: its state
 * machine is package-private, so tests elsewhere reach the traffic secrets and the writer through
 * here.
 */
public final class ChannelTesting {
    private ChannelTesting() {}

    /** The codec's record writer (null before the handshake completes). */
    public static RecordWriter writer(RecordCodec codec) {
        return codec.core().writerForTesting();
    }

    /** The codec's record reader (null before the handshake completes). */
    public static RecordReader reader(RecordCodec codec) {
        return codec.core().readerForTesting();
    }
}
