package io.p2pchat.channel;

/**
 * The coarse reason a peer is told when a channel closes, carried in an ALERT record.
 *
 * <p>Deliberately coarser than {@link ErrorCode}: a bad record tag, a bad signature and a bad
 * ML-KEM ciphertext all map to {@link #AUTH_FAILED}, so the alert is no oracle for an attacker. The
 * wire value of each constant is fixed by {@code docs/protocol.md}, section "Alerts".
 */
public enum AlertCode {
    /** Orderly close: the sender will send nothing more. Tells a clean end from a truncation. */
    CLOSE_NOTIFY(0),
    /** The peer sent something malformed or out of order. */
    PROTOCOL_ERROR(1),
    /** Any authentication or integrity failure. */
    AUTH_FAILED(2),
    /** No acceptable version, suite or network, or a local policy refused the peer. */
    POLICY(3),
    /** A size, rate or capacity limit was exceeded. */
    RESOURCE_LIMIT(4),
    /** The peer was too slow: handshake or idle timeout. */
    TIMEOUT(5),
    /** The sender failed on its own account. */
    INTERNAL_ERROR(6);

    private final int wireValue;

    AlertCode(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The byte that represents this code on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /**
     * Decodes a wire value.
     *
     * @return the code, or {@link #PROTOCOL_ERROR} for a value this version does not define
     */
    public static AlertCode fromWire(int value) {
        for (AlertCode code : values()) {
            if (code.wireValue == value) {
                return code;
            }
        }
        return PROTOCOL_ERROR;
    }
}
