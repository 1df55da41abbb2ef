package io.p2pchat.identity;

import io.p2pchat.identity.IdentityStoreException.Reason;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.jspecify.annotations.Nullable;

/**
 * The text of an identity file (see {@link IdentityStore}'s format): two PEM blocks (RFC 7468), an
 * X.509 SubjectPublicKeyInfo and a PKCS#8 EncryptedPrivateKeyInfo (RFC 5958), written and parsed
 * with Bouncy Castle's ASN.1 classes; the encryption itself is {@link Pbes2Scrypt}'s.
 *
 * <p>Threading: stateless.
 */
final class IdentityFileFormat {
    static final String PUBLIC_KEY_TYPE = "PUBLIC KEY";
    static final String ENCRYPTED_KEY_TYPE = "ENCRYPTED PRIVATE KEY";

    private IdentityFileFormat() {}

    /** The parsed, not yet decrypted, content of an identity file. */
    static final class StoredFile {
        final RSAPublicKey publicKey;
        final EncryptedPrivateKeyInfo encrypted;

        StoredFile(RSAPublicKey publicKey, EncryptedPrivateKeyInfo encrypted) {
            this.publicKey = publicKey;
            this.encrypted = encrypted;
        }
    }

    /**
     * The file content for a key pair and an optional storage root: the public block, then the
     * encrypted private key with the root as its attribute. Wipes the encodings it makes.
     */
    static byte[] encode(
            RSAPrivateKey privateKey,
            RSAPublicKey publicKey,
            @Nullable StorageRoot root,
            char[] passphrase,
            Pbes2Scrypt.Settings settings,
            SecureRandom random) {
        byte[] key = privateKey.getEncoded();
        byte[] rootBytes = root == null ? null : root.attributeValue();
        byte[] encrypted;
        try {
            PrivateKeyInfo jdk = PrivateKeyInfo.getInstance(key);
            // PrivateKeyInfo.attributes [0]: the storage root and its check, one OCTET STRING.
            PrivateKeyInfo plaintext =
                    new PrivateKeyInfo(
                            jdk.getPrivateKeyAlgorithm(),
                            jdk.parsePrivateKey(),
                            StorageRootAttribute.encode(rootBytes));
            encrypted = Pbes2Scrypt.encrypt(plaintext, passphrase, settings, random);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the private key", e);
        } finally {
            Arrays.fill(key, (byte) 0);
            if (rootBytes != null) {
                Arrays.fill(rootBytes, (byte) 0);
            }
        }
        String pem =
                pem(PUBLIC_KEY_TYPE, publicKey.getEncoded()) + pem(ENCRYPTED_KEY_TYPE, encrypted);
        return pem.getBytes(StandardCharsets.US_ASCII);
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static StoredFile parse(byte[] bytes, Path file) throws IdentityStoreException {
        List<PemObject> blocks = parsePem(bytes, file);
        byte[] spki = null;
        byte[] epki = null;
        for (PemObject block : blocks) {
            String type = block.getType();
            if (!block.getHeaders().isEmpty()) {
                throw IdentityFileErrors.corrupt(
                        file, "the " + type + " block has PEM headers", null);
            }
            if (type.equals(PUBLIC_KEY_TYPE) && spki == null) {
                spki = block.getContent();
            } else if (type.equals(ENCRYPTED_KEY_TYPE) && epki == null) {
                epki = block.getContent();
            } else if (type.endsWith("PRIVATE KEY") && !type.equals(ENCRYPTED_KEY_TYPE)) {
                throw new IdentityStoreException(
                        Reason.UNSUPPORTED,
                        file
                                + " holds an unencrypted or legacy-encrypted private key ("
                                + type
                                + "); p2pchat only loads PKCS#8 ENCRYPTED PRIVATE KEY files");
            } else {
                throw IdentityFileErrors.corrupt(
                        file, "unexpected or repeated PEM block " + type, null);
            }
        }
        if (epki == null) {
            throw IdentityFileErrors.corrupt(file, "no " + ENCRYPTED_KEY_TYPE + " block", null);
        }
        if (spki == null) {
            throw IdentityFileErrors.corrupt(file, "no " + PUBLIC_KEY_TYPE + " block", null);
        }
        return new StoredFile(parsePublicKey(spki, file), parseEncrypted(epki, file));
    }

    private static List<PemObject> parsePem(byte[] bytes, Path file) throws IdentityStoreException {
        String text;
        try {
            text =
                    StandardCharsets.US_ASCII
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
        } catch (CharacterCodingException e) {
            throw IdentityFileErrors.corrupt(file, "not ASCII text, so not PEM", e);
        }
        List<PemObject> blocks = new ArrayList<>(2);
        try (PemReader reader = new PemReader(new StringReader(text))) {
            for (PemObject block = reader.readPemObject();
                    block != null;
                    block = reader.readPemObject()) {
                blocks.add(block);
            }
        } catch (IOException | RuntimeException e) {
            // Truncation (no END line) and bad Base64 land here.
            throw IdentityFileErrors.corrupt(file, "malformed or truncated PEM", e);
        }
        if (blocks.isEmpty()) {
            throw IdentityFileErrors.corrupt(
                    file, "no PEM block; the file is empty or truncated", null);
        }
        return blocks;
    }

    private static RSAPublicKey parsePublicKey(byte[] spki, Path file)
            throws IdentityStoreException {
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(ASN1Primitive.fromByteArray(spki));
        } catch (IOException | RuntimeException e) {
            throw IdentityFileErrors.corrupt(
                    file, "the " + PUBLIC_KEY_TYPE + " block is not valid DER", e);
        }
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getAlgorithm().getAlgorithm())) {
            throw new IdentityStoreException(
                    Reason.UNSUPPORTED,
                    file
                            + " holds a "
                            + info.getAlgorithm().getAlgorithm()
                            + " public key (expected: RSA, 1.2.840.113549.1.1.1)");
        }
        try {
            return (RSAPublicKey) rsaKeyFactory().generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw IdentityFileErrors.corrupt(
                    file, "the " + PUBLIC_KEY_TYPE + " block is not a valid RSA key", e);
        }
    }

    private static EncryptedPrivateKeyInfo parseEncrypted(byte[] epki, Path file)
            throws IdentityStoreException {
        try {
            return EncryptedPrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(epki));
        } catch (IOException | RuntimeException e) {
            throw IdentityFileErrors.corrupt(
                    file, "the " + ENCRYPTED_KEY_TYPE + " block is not valid DER", e);
        }
    }

    /** Decodes the RSA private key, without the attributes (the JDK need not understand them). */
    static RSAPrivateCrtKey rsaKey(PrivateKeyInfo plain, Path file) throws IdentityStoreException {
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(
                plain.getPrivateKeyAlgorithm().getAlgorithm())) {
            throw IdentityFileErrors.unsupported(file, "the private key is not an RSA key");
        }
        byte[] der = null;
        PrivateKey key;
        try {
            der =
                    new PrivateKeyInfo(plain.getPrivateKeyAlgorithm(), plain.parsePrivateKey())
                            .getEncoded();
            key = rsaKeyFactory().generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw IdentityFileErrors.wrongPassphraseOrTampered(
                    file, "the decrypted key does not decode");
        } finally {
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
        if (!(key instanceof RSAPrivateCrtKey)) {
            throw IdentityFileErrors.unsupported(file, "the RSA private key has no CRT parameters");
        }
        return (RSAPrivateCrtKey) key;
    }

    private static KeyFactory rsaKeyFactory() throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA");
    }
}
