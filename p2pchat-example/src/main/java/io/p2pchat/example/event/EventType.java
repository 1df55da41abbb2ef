package io.p2pchat.example.event;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every kind of {@link Event}, by its {@code "event"} name in the console's JSON lines (the names
 * are part of the client's interface: scripts and the docs rely on them).
 */
public enum EventType {
    // --- chat
    /** A message arrived: {@code from}, {@code from_id}, {@code text}, {@code message_id}. */
    MESSAGE,
    /** A message was sent or queued: {@code to}, {@code to_id}, {@code text}, {@code queued}. */
    SENT,
    /** A peer acknowledged a message: {@code to}, {@code to_id}, {@code message_id}. */
    DELIVERED,
    /** A secure channel opened: {@code peer}, {@code key_id}, {@code suite}, fingerprints. */
    CONNECTED,
    /** A secure channel closed: {@code peer}, {@code key_id}. */
    DISCONNECTED,
    /** A connected peer's registration is now confirmed: chat works. */
    CONFIRMED,
    /** A connected key turned out to hold a name on the ledger. */
    NAMED,
    /** A name the person knew now belongs to another identity (loud notice). */
    NAME_CHANGED,
    /** A contact's key changed (loud notice); {@code held} when sending stops. */
    KEY_CHANGED,
    /** A peer's key was banned for misbehaving: {@code key_id}, {@code host}, {@code reason}. */
    BANNED,
    /**
     * A session's key was revoked on the ledger ({@code key_id}; the session closed), or rotated
     * away ({@code key_id}, {@code new_key_id}; the old session stays sync-only and closes once the
     * new key connects, or after a grace), or this identity was revoked.
     */
    REVOKED,
    // --- answers to commands
    /** The command list: {@code commands}. */
    HELP,
    /** The connected peers: {@code peers}. */
    PEERS,
    /** Fingerprints to compare with a peer. */
    FINGERPRINT,
    /** The session's keys changed on request: {@code kind} key_update or rekey. */
    ROTATED,
    /** The last messages with a peer: {@code messages}. */
    HISTORY,
    /** An identity on the ledger and the contact it is: {@code identity}, {@code contact}. */
    WHOIS,
    /** A contact was marked verified. */
    VERIFIED,
    /** A changed name or key was accepted. */
    ACCEPTED,
    /** The ledger's status: height, tip, identities, mempool, peers, mining. */
    LEDGER,
    /** This node's identity and its state. */
    IDENTITY,
    // --- the node's life
    /** The node listens. */
    STARTED,
    /** The network this node is on. */
    NETWORK,
    /** A new network was started from a genesis block. */
    GENESIS,
    /** The ledger synced with the network. */
    SYNCED,
    /** Joining failed for now and is retried. */
    RETRY,
    /** Registration and mining progress: {@code message}, {@code fraction}, {@code stage}. */
    PROGRESS,
    /** The name's commitment was mined. */
    NAME_COMMITTED,
    /** The name was revealed. */
    NAME_REVEALED,
    /** The node is registered and can chat. */
    READY,
    /** A key rotation of this identity started. */
    ROTATION_STARTED,
    /** A key rotation of this identity was mined. */
    ROTATION_MINED,
    /** The revocation of this identity was mined. */
    REVOCATION_MINED,
    /** New addresses were submitted to the ledger. */
    ADDRESS_SUBMITTED,
    /** The registered addresses changed. */
    ADDRESSES_UPDATED,
    /** The key file's passphrase changed. */
    PASSPHRASE_CHANGED,
    /** The node stopped before it was ready. */
    STOPPED,
    /** The node leaves. */
    BYE,
    // --- plain reports
    /** Something to know, one line: {@code message}. */
    INFO,
    /** Something failed, explained: {@code message}. */
    ERROR,
    /** A view fell behind and missed {@code count} events. */
    DROPPED,
    /** A kind this list does not name (a newer publisher). */
    OTHER;

    private static final Map<String, EventType> BY_NAME = new HashMap<>();

    static {
        for (EventType t : values()) {
            BY_NAME.put(t.jsonName(), t);
        }
    }

    /** The {@code "event"} field of this type's JSON lines. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code jsonName}, or {@link #OTHER}. */
    public static EventType of(String jsonName) {
        return BY_NAME.getOrDefault(jsonName, OTHER);
    }
}
