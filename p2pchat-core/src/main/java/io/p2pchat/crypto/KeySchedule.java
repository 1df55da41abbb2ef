package io.p2pchat.crypto;

import java.nio.charset.StandardCharsets;

/**
 * The labels and derivations of p2pchat's key schedule (docs/protocol.md, "Key schedule").
 *
 * <pre>
 * handshake_secret = HKDF-Extract(salt = "p2pchat/1 handshake", IKM = shared_secret)
 * i_hs_traffic     = HKDF-Expand-Label(handshake_secret, "i hs traffic", H(IH, RH), 32)
 * r_hs_traffic     = HKDF-Expand-Label(handshake_secret, "r hs traffic", H(IH, RH), 32)
 * master_secret    = HKDF-Extract(salt = HKDF-Expand-Label(handshake_secret, "derived", "", 32),
 *                                 IKM = 32 zero bytes)
 * i_ap_traffic     = HKDF-Expand-Label(master_secret, "i ap traffic", H(full transcript), 32)
 * r_ap_traffic     = HKDF-Expand-Label(master_secret, "r ap traffic", H(full transcript), 32)
 * exporter_secret  = HKDF-Expand-Label(master_secret, "exp master", H(full transcript), 32)
 * rekey_root_0     = HKDF-Expand-Label(master_secret, "rekey root", H(full transcript), 32)
 * finished_key     = HKDF-Expand-Label(X_hs_traffic, "finished", "", 32)
 * key              = HKDF-Expand-Label(traffic_secret, "key", "", key_length)
 * iv               = HKDF-Expand-Label(traffic_secret, "iv", "", 12)
 * next secret      = HKDF-Expand-Label(traffic_secret, "traffic upd", "", 32)
 *
 * resumed handshakes (psk_dhe_ke):
 * early_secret     = HKDF-Extract(salt = "p2pchat/1 resumption", IKM = psk)
 * handshake_secret = HKDF-Extract(salt = HKDF-Expand-Label(early_secret, "derived", "", 32),
 *                                 IKM = shared_secret)
 * res_secret       = HKDF-Expand-Label(master_secret, "res master", H(full transcript), 32)
 * psk              = HKDF-Expand-Label(res_secret, "resumption", ticket_nonce, 32)
 * </pre>
 *
 * <p>The record layer derives a traffic secret's key, IV and next secret with {@link TrafficKdf}
 * (one HMAC keyed once per secret), byte for byte what {@link #trafficKey}, {@link #trafficIv} and
 * {@link #nextTrafficSecret} return.
 */
public final class KeySchedule {
    /** Salt of the handshake secret's extraction. */
    public static final byte[] HANDSHAKE_SALT =
            "p2pchat/1 handshake".getBytes(StandardCharsets.US_ASCII);

    /** Salt of the early secret's extraction from a resumption PSK. */
    public static final byte[] RESUMPTION_SALT =
            "p2pchat/1 resumption".getBytes(StandardCharsets.US_ASCII);

    public static final String RESUMPTION_MASTER_LABEL = "res master";
    public static final String RESUMPTION_LABEL = "resumption";
    public static final String INITIATOR_HS_TRAFFIC_LABEL = "i hs traffic";
    public static final String RESPONDER_HS_TRAFFIC_LABEL = "r hs traffic";
    public static final String DERIVED_LABEL = "derived";
    public static final String INITIATOR_AP_TRAFFIC_LABEL = "i ap traffic";
    public static final String RESPONDER_AP_TRAFFIC_LABEL = "r ap traffic";
    public static final String EXPORTER_MASTER_LABEL = "exp master";
    public static final String REKEY_ROOT_LABEL = "rekey root";
    public static final String REKEY_LABEL = "rekey";
    public static final String FINISHED_LABEL = "finished";
    public static final String KEY_LABEL = "key";
    public static final String IV_LABEL = "iv";
    public static final String TRAFFIC_UPDATE_LABEL = "traffic upd";
    public static final String EXPORTER_LABEL = "exporter";

    /** Context string of the responder's transcript signature. */
    public static final String RESPONDER_SIGNATURE_CONTEXT = "p2pchat/1, responder signature";

    /** Context string of the initiator's transcript signature. */
    public static final String INITIATOR_SIGNATURE_CONTEXT = "p2pchat/1, initiator signature";

    /** Context string of the responder's transcript signature by its delegated credential key. */
    public static final String RESPONDER_CREDENTIAL_SIGNATURE_CONTEXT =
            "p2pchat/1, responder credential signature";

    /** Context string of the initiator's transcript signature by its delegated credential key. */
    public static final String INITIATOR_CREDENTIAL_SIGNATURE_CONTEXT =
            "p2pchat/1, initiator credential signature";

    /** Context string of the identity key's signature over a delegated credential. */
    public static final String DELEGATED_CREDENTIAL_CONTEXT = "p2pchat/1, delegated credential";

    private static final byte[] EMPTY = new byte[0];

    private KeySchedule() {}

    /** HKDF-Extract(HANDSHAKE_SALT, sharedSecret). */
    public static byte[] handshakeSecret(byte[] sharedSecret) {
        return Hkdf.extract(HANDSHAKE_SALT, sharedSecret);
    }

    /** The early secret of a resumed handshake: HKDF-Extract(RESUMPTION_SALT, psk). */
    public static byte[] earlySecret(byte[] psk) {
        return Hkdf.extract(RESUMPTION_SALT, psk);
    }

    /**
     * The handshake secret of a resumed handshake: HKDF-Extract(salt =
     * HKDF-Expand-Label(earlySecret, "derived", "", 32), IKM = sharedSecret).
     */
    public static byte[] resumedHandshakeSecret(byte[] earlySecret, byte[] sharedSecret) {
        byte[] salt = Hkdf.expandLabel(earlySecret, DERIVED_LABEL, EMPTY, Hkdf.HASH_LENGTH);
        try {
            return Hkdf.extract(salt, sharedSecret);
        } finally {
            Secret.wipe(salt);
        }
    }

    /** The resumption secret of a session, from which its tickets' PSKs derive. */
    public static byte[] resumptionSecret(byte[] masterSecret, byte[] transcriptHash) {
        return Hkdf.expandLabel(
                masterSecret, RESUMPTION_MASTER_LABEL, transcriptHash, Hkdf.HASH_LENGTH);
    }

    /** The PSK of one ticket: HKDF-Expand-Label(resumptionSecret, "resumption", nonce, 32). */
    public static byte[] ticketPsk(byte[] resumptionSecret, byte[] ticketNonce) {
        return Hkdf.expandLabel(resumptionSecret, RESUMPTION_LABEL, ticketNonce, Hkdf.HASH_LENGTH);
    }

    /** The handshake traffic secret of the initiator ({@code initiator}) or of the responder. */
    public static byte[] handshakeTrafficSecret(
            byte[] handshakeSecret, boolean initiator, byte[] helloHash) {
        String label = initiator ? INITIATOR_HS_TRAFFIC_LABEL : RESPONDER_HS_TRAFFIC_LABEL;
        return Hkdf.expandLabel(handshakeSecret, label, helloHash, Hkdf.HASH_LENGTH);
    }

    /** The master secret, extracted from the handshake secret. */
    public static byte[] masterSecret(byte[] handshakeSecret) {
        byte[] salt = Hkdf.expandLabel(handshakeSecret, DERIVED_LABEL, EMPTY, Hkdf.HASH_LENGTH);
        try {
            return Hkdf.extract(salt, new byte[Hkdf.HASH_LENGTH]);
        } finally {
            Secret.wipe(salt);
        }
    }

    /**
     * The first application traffic secret of the initiator ({@code initiator}) or of the
     * responder.
     */
    public static byte[] applicationTrafficSecret(
            byte[] masterSecret, boolean initiator, byte[] transcriptHash) {
        String label = initiator ? INITIATOR_AP_TRAFFIC_LABEL : RESPONDER_AP_TRAFFIC_LABEL;
        return Hkdf.expandLabel(masterSecret, label, transcriptHash, Hkdf.HASH_LENGTH);
    }

    /** The exporter secret. */
    public static byte[] exporterSecret(byte[] masterSecret, byte[] transcriptHash) {
        return Hkdf.expandLabel(
                masterSecret, EXPORTER_MASTER_LABEL, transcriptHash, Hkdf.HASH_LENGTH);
    }

    /** The first rekey root. */
    public static byte[] rekeyRoot(byte[] masterSecret, byte[] transcriptHash) {
        return Hkdf.expandLabel(masterSecret, REKEY_ROOT_LABEL, transcriptHash, Hkdf.HASH_LENGTH);
    }

    /** The Finished key of a handshake traffic secret. */
    public static byte[] finishedKey(byte[] handshakeTrafficSecret) {
        return Hkdf.expandLabel(handshakeTrafficSecret, FINISHED_LABEL, EMPTY, Hkdf.HASH_LENGTH);
    }

    /** The AES key of a traffic secret. */
    public static byte[] trafficKey(byte[] trafficSecret, int keyLength) {
        return Hkdf.expandLabel(trafficSecret, KEY_LABEL, EMPTY, keyLength);
    }

    /** The static IV of a traffic secret. */
    public static byte[] trafficIv(byte[] trafficSecret) {
        return Hkdf.expandLabel(trafficSecret, IV_LABEL, EMPTY, AesGcm.IV_LENGTH);
    }

    /** The next traffic secret of the symmetric ratchet. */
    public static byte[] nextTrafficSecret(byte[] trafficSecret) {
        return Hkdf.expandLabel(trafficSecret, TRAFFIC_UPDATE_LABEL, EMPTY, Hkdf.HASH_LENGTH);
    }

    /**
     * The rekey root after an in-channel exchange: HKDF-Extract(salt = HKDF-Expand-Label(root,
     * "rekey", rekeyHash, 32), IKM = sharedSecret).
     */
    public static byte[] nextRekeyRoot(byte[] rekeyRoot, byte[] rekeyHash, byte[] sharedSecret) {
        byte[] salt = Hkdf.expandLabel(rekeyRoot, REKEY_LABEL, rekeyHash, Hkdf.HASH_LENGTH);
        try {
            return Hkdf.extract(salt, sharedSecret);
        } finally {
            Secret.wipe(salt);
        }
    }

    /**
     * The traffic secret of the initiator ({@code initiator}) or of the responder after a rekey.
     */
    public static byte[] rekeyedTrafficSecret(
            byte[] rekeyRoot, boolean initiator, byte[] rekeyHash) {
        String label = initiator ? INITIATOR_AP_TRAFFIC_LABEL : RESPONDER_AP_TRAFFIC_LABEL;
        return Hkdf.expandLabel(rekeyRoot, label, rekeyHash, Hkdf.HASH_LENGTH);
    }

    /**
     * TLS 1.3-style exporter: HKDF-Expand-Label(HKDF-Expand-Label(exporter_secret, label, "", 32),
     * "exporter", SHA-256(context), length).
     */
    public static byte[] export(byte[] exporterSecret, String label, byte[] context, int length) {
        byte[] derived = Hkdf.expandLabel(exporterSecret, label, EMPTY, Hkdf.HASH_LENGTH);
        try {
            return Hkdf.expandLabel(
                    derived, EXPORTER_LABEL, TranscriptHash.sha256(context), length);
        } finally {
            Secret.wipe(derived);
        }
    }

    /**
     * The bytes a transcript signature covers: 64 spaces, the context string, a zero byte, then the
     * transcript hash (as TLS 1.3's CertificateVerify, RFC 8446 §4.4.3); the context names the
     * signer, the initiator ({@code initiator}) or the responder.
     */
    public static byte[] signatureInput(boolean initiator, byte[] transcriptHash) {
        return signedContent(
                initiator ? INITIATOR_SIGNATURE_CONTEXT : RESPONDER_SIGNATURE_CONTEXT,
                transcriptHash);
    }

    /**
     * The bytes a transcript signature by a delegated credential key covers: as {@link
     * #signatureInput} with the credential contexts (docs/protocol.md 5.10).
     */
    public static byte[] credentialSignatureInput(boolean initiator, byte[] transcriptHash) {
        return signedContent(
                initiator
                        ? INITIATOR_CREDENTIAL_SIGNATURE_CONTEXT
                        : RESPONDER_CREDENTIAL_SIGNATURE_CONTEXT,
                transcriptHash);
    }

    /** {@code 0x20 * 64 || context || 0x00 || payload}: what every p2pchat signature covers. */
    public static byte[] signedContent(String context, byte[] payload) {
        byte[] c = context.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[64 + c.length + 1 + payload.length];
        java.util.Arrays.fill(out, 0, 64, (byte) 0x20);
        System.arraycopy(c, 0, out, 64, c.length);
        out[64 + c.length] = 0;
        System.arraycopy(payload, 0, out, 64 + c.length + 1, payload.length);
        return out;
    }
}
