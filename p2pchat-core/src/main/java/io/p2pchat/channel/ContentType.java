package io.p2pchat.channel;

/** Record content types (docs/protocol.md, "Records"). */
public final class ContentType {
    /** Plaintext handshake hello; epoch must be 0. */
    public static final int HELLO = 1;

    /** Encrypted handshake message under the handshake traffic keys (epoch 0). */
    public static final int HANDSHAKE = 2;

    /** Encrypted application data. */
    public static final int APPLICATION_DATA = 3;

    /** Encrypted control message (key update, rekey, ping). */
    public static final int CONTROL = 4;

    /** Alert: one byte, encrypted once the sender has keys, plaintext before. */
    public static final int ALERT = 5;

    private ContentType() {}

    /** Name for logs. */
    public static String name(int type) {
        switch (type) {
            case HELLO:
                return "HELLO";
            case HANDSHAKE:
                return "HANDSHAKE";
            case APPLICATION_DATA:
                return "APPLICATION_DATA";
            case CONTROL:
                return "CONTROL";
            case ALERT:
                return "ALERT";
            default:
                return "UNKNOWN(" + type + ")";
        }
    }
}
