package io.p2pchat.example.testing;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * Homes as the versions before the storage root wrote them, built here from their format: an
 * identity file without a storage root, chat history in format 1 (keyed by scrypt of the
 * passphrase, N = 2^15, with a salt beside it), directories 0755 and files 0644.
 */
public final class LegacyHomes {
    private static final byte[] AAD_V1 = "p2pchat history v1".getBytes(StandardCharsets.US_ASCII);

    private LegacyHomes() {}

    /** The format 1 history key: scrypt(password, salt, N = 2^15, r = 8, p = 1). */
    public static byte[] scrypt(byte[] password, byte[] salt) {
        return SCrypt.generate(password, salt, 1 << 15, 8, 1, 32);
    }

    /** 16 random bytes. */
    public static byte[] randomSalt() {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return salt;
    }

    /** A message entry. */
    public static HistoryEntry entry(HistoryEntry.Direction direction, ChatMessage m, long at) {
        return HistoryEntry.newBuilder()
                .setDirection(direction)
                .setMessage(m.toByteString())
                .setStoredAtMs(at)
                .build();
    }

    /** The acknowledgement of a sent message. */
    public static HistoryEntry ack(ChatMessage m, long at) {
        return HistoryEntry.newBuilder()
                .setAckedMessageId(m.getMessageId())
                .setStoredAtMs(at)
                .build();
    }

    /** A chat message with a random id. */
    public static ChatMessage message(String text, long at) {
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        return ChatMessage.newBuilder()
                .setMessageId(ByteString.copyFrom(id))
                .setSentAtMs(at)
                .setText(text)
                .build();
    }

    /** Writes a format 1 history file of the conversation with {@code peer}. */
    public static void writeHistoryV1(
            Path file, byte[] key, PeerId peer, List<HistoryEntry> entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < entries.size(); i++) {
            byte[] nonce = new byte[12];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(
                    Cipher.ENCRYPT_MODE,
                    new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(128, nonce));
            c.updateAAD(
                    ByteBuffer.allocate(AAD_V1.length + 32 + 8)
                            .put(AAD_V1)
                            .put(peer.toBytes())
                            .putLong(i)
                            .array());
            byte[] ct = c.doFinal(entries.get(i).toByteArray());
            out.write(ByteBuffer.allocate(4).putInt(nonce.length + ct.length).array());
            out.write(nonce);
            out.write(ct);
        }
        Files.write(file, out.toByteArray());
    }

    /**
     * Writes an identity file as versions before the storage root did: the same two PEM blocks,
     * PBES2 with scrypt (N = 2^10 here, for speed) and AES-256-GCM, and a PrivateKeyInfo without
     * attributes; mode 0600, as IdentityStore always wrote it.
     */
    public static void writeIdentityWithoutRoot(
            LocalIdentity identity, Path file, String passphrase) throws Exception {
        byte[] epki =
                new PKCS8EncryptedPrivateKeyInfoBuilder(identity.privateKey().getEncoded())
                        .build(
                                new JcePKCSPBEOutputEncryptorBuilder(
                                                new ScryptConfig.Builder(1 << 10, 8, 1)
                                                        .withSaltLength(16)
                                                        .build(),
                                                NISTObjectIdentifiers.id_aes256_GCM)
                                        .setProvider(new BouncyCastleProvider())
                                        .build(passphrase.toCharArray()))
                        .getEncoded();
        Files.writeString(
                file,
                pem("PUBLIC KEY", identity.subjectPublicKeyInfo())
                        + pem("ENCRYPTED PRIVATE KEY", epki),
                StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN "
                + type
                + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END "
                + type
                + "-----\n";
    }

    /** Sets the modes earlier versions left: directories 0755, files 0644 (the identity 0600). */
    public static void openUp(Path home) throws Exception {
        try (var paths = Files.walk(home)) {
            for (Path p : paths.toList()) {
                String mode =
                        Files.isDirectory(p)
                                ? "rwxr-xr-x"
                                : p.getFileName().toString().equals("identity.pem")
                                        ? "rw-------"
                                        : "rw-r--r--";
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
            }
        }
    }
}
