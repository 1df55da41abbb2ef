package io.p2pchat.channel;

/** The part a peer plays in the handshake. Either peer of a p2p network can play either part. */
public enum Role {
    /** Opens the connection and sends the first flight. */
    INITIATOR,
    /** Accepts the connection and answers. */
    RESPONDER;

    /** The other role. */
    public Role peer() {
        return this == INITIATOR ? RESPONDER : INITIATOR;
    }
}
