package io.p2pchat.channel;

/** The peer closed the channel with an error alert. */
public final class PeerAlertException extends SecureChannelException {
    private static final long serialVersionUID = 1L;

    private final AlertCode alert;

    /** Creates the exception for the alert the peer sent. */
    public PeerAlertException(AlertCode alert) {
        super(ErrorCode.PEER_ALERT, "the peer closed the channel: " + alert);
        this.alert = alert;
    }

    /** The alert the peer sent. */
    public AlertCode alert() {
        return alert;
    }
}
