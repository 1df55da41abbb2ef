package io.p2pchat.identity;

import io.p2pchat.identity.IdentityStore.Encryption;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.Provider;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.misc.MiscObjectIdentifiers;
import org.bouncycastle.asn1.misc.ScryptParams;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * The encryption of an identity file's private key (RFC 8018 PBES2, RFC 7914 scrypt, AES-256-GCM or
 * AES-256-CBC), through Bouncy Castle's PKCS#8 builders: the parameters {@link IdentityStore}
 * writes, the bounds it accepts on load (checked before the key derivation, so that a crafted file
 * cannot ask for gigabytes), encryption and decryption.
 *
 * <p>Threading: stateless; Bouncy Castle's provider is created on first use and shared.
 */
final class Pbes2Scrypt {
    private static final int MIN_SALT_LENGTH = 8;
    private static final int MAX_SALT_LENGTH = 64;
    private static final int MAX_SCRYPT_PARALLELISM = 16;
    private static final int GCM_NONCE_LENGTH = 12;
    private static final int GCM_TAG_LENGTH = 16;
    private static final int CBC_IV_LENGTH = 16;
    private static final int AES_256_KEY_LENGTH = 32;

    private Pbes2Scrypt() {}

    /** The scrypt cost and cipher a file is written with. */
    static final class Settings {
        final int n;
        final int r;
        final int p;
        final Encryption encryption;

        Settings(int n, int r, int p, Encryption encryption) {
            this.n = n;
            this.r = r;
            this.p = p;
            this.encryption = encryption;
        }
    }

    /**
     * Encrypts {@code plaintext} as PKCS#8 EncryptedPrivateKeyInfo under {@code passphrase}: PBES2
     * with scrypt at {@code settings}' cost and a new random salt, and {@code settings}' cipher
     * with a new random nonce or IV.
     *
     * @return the DER encoding
     */
    static byte[] encrypt(
            PrivateKeyInfo plaintext, char[] passphrase, Settings settings, SecureRandom random) {
        ScryptConfig kdf =
                new ScryptConfig.Builder(settings.n, settings.r, settings.p)
                        .withSaltLength(IdentityStore.SALT_LENGTH_BYTES)
                        .build();
        try {
            OutputEncryptor encryptor =
                    new JcePKCSPBEOutputEncryptorBuilder(kdf, settings.encryption.oid())
                            .setProvider(Bc.PROVIDER)
                            .setRandom(random)
                            .build(passphrase);
            return new PKCS8EncryptedPrivateKeyInfoBuilder(plaintext).build(encryptor).getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException(
                    "PBES2 scrypt " + settings.encryption + " unavailable", e);
        }
    }

    /**
     * Accepts exactly what this store writes: PBES2 with scrypt within the memory limit, and
     * AES-256-GCM or AES-256-CBC. Runs before the key derivation so that a crafted file cannot ask
     * for gigabytes.
     */
    static Settings checkEncryptionParameters(EncryptedPrivateKeyInfo info, Path file)
            throws IdentityStoreException {
        ASN1ObjectIdentifier scheme = info.getEncryptionAlgorithm().getAlgorithm();
        if (!PKCSObjectIdentifiers.id_PBES2.equals(scheme)) {
            throw IdentityFileErrors.unsupported(
                    file, "encryption scheme " + scheme + " (expected: PBES2)");
        }
        PBES2Parameters pbes2;
        ScryptParams scrypt;
        try {
            pbes2 = PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
            KeyDerivationFunc kdf = pbes2.getKeyDerivationFunc();
            if (!MiscObjectIdentifiers.id_scrypt.equals(kdf.getAlgorithm())) {
                throw IdentityFileErrors.unsupported(
                        file, "key derivation " + kdf.getAlgorithm() + " (expected: scrypt)");
            }
            scrypt = ScryptParams.getInstance(kdf.getParameters());
        } catch (IdentityStoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw IdentityFileErrors.corrupt(file, "malformed PBES2 parameters", e);
        }
        checkScrypt(scrypt, file);
        Encryption cipher = checkCipher(pbes2.getEncryptionScheme(), file);
        // Within int range: checkScrypt bounds 128·r·N by 2^30 and p by 16.
        return new Settings(
                scrypt.getCostParameter().intValueExact(),
                scrypt.getBlockSize().intValueExact(),
                scrypt.getParallelizationParameter().intValueExact(),
                cipher);
    }

    static void checkScrypt(ScryptParams scrypt, Path file) throws IdentityStoreException {
        int saltLength = scrypt.getSalt().length;
        if (saltLength < MIN_SALT_LENGTH || saltLength > MAX_SALT_LENGTH) {
            throw IdentityFileErrors.corrupt(
                    file,
                    "scrypt salt length "
                            + saltLength
                            + " (expected: "
                            + MIN_SALT_LENGTH
                            + ".."
                            + MAX_SALT_LENGTH
                            + ")",
                    null);
        }
        BigInteger n = scrypt.getCostParameter();
        BigInteger r = scrypt.getBlockSize();
        BigInteger p = scrypt.getParallelizationParameter();
        if (n.compareTo(BigInteger.TWO) < 0
                || n.bitCount() != 1
                || r.signum() <= 0
                || p.signum() <= 0) {
            throw IdentityFileErrors.corrupt(
                    file, "invalid scrypt parameters N=" + n + " r=" + r + " p=" + p, null);
        }
        BigInteger memory = BigInteger.valueOf(128).multiply(r).multiply(n);
        if (memory.compareTo(BigInteger.valueOf(IdentityStore.MAX_SCRYPT_MEMORY_BYTES)) > 0
                || p.compareTo(BigInteger.valueOf(MAX_SCRYPT_PARALLELISM)) > 0) {
            throw IdentityFileErrors.unsupported(
                    file,
                    "scrypt cost N="
                            + n
                            + " r="
                            + r
                            + " p="
                            + p
                            + " (expected: 128·r·N <= "
                            + IdentityStore.MAX_SCRYPT_MEMORY_BYTES
                            + " bytes, p <= "
                            + MAX_SCRYPT_PARALLELISM
                            + ")");
        }
        BigInteger keyLength = scrypt.getKeyLength();
        if (keyLength != null && !keyLength.equals(BigInteger.valueOf(AES_256_KEY_LENGTH))) {
            throw IdentityFileErrors.corrupt(
                    file,
                    "scrypt key length " + keyLength + " (expected: " + AES_256_KEY_LENGTH + ")",
                    null);
        }
    }

    static Encryption checkCipher(EncryptionScheme scheme, Path file)
            throws IdentityStoreException {
        ASN1ObjectIdentifier cipher = scheme.getAlgorithm();
        try {
            if (NISTObjectIdentifiers.id_aes256_GCM.equals(cipher)) {
                GCMParameters gcm = GCMParameters.getInstance(scheme.getParameters());
                if (gcm.getNonce().length != GCM_NONCE_LENGTH
                        || gcm.getIcvLen() != GCM_TAG_LENGTH) {
                    throw IdentityFileErrors.unsupported(
                            file,
                            "AES-GCM nonce "
                                    + gcm.getNonce().length
                                    + " bytes, tag "
                                    + gcm.getIcvLen()
                                    + " bytes (expected: "
                                    + GCM_NONCE_LENGTH
                                    + " and "
                                    + GCM_TAG_LENGTH
                                    + ")");
                }
                return Encryption.AES_256_GCM;
            } else if (NISTObjectIdentifiers.id_aes256_CBC.equals(cipher)) {
                int ivLength =
                        ASN1OctetString.getInstance(scheme.getParameters()).getOctets().length;
                if (ivLength != CBC_IV_LENGTH) {
                    throw IdentityFileErrors.corrupt(
                            file,
                            "AES-CBC IV length " + ivLength + " (expected: " + CBC_IV_LENGTH + ")",
                            null);
                }
                return Encryption.AES_256_CBC;
            } else {
                throw IdentityFileErrors.unsupported(
                        file,
                        "cipher "
                                + cipher
                                + " (expected: aes256-GCM "
                                + NISTObjectIdentifiers.id_aes256_GCM
                                + " or aes256-CBC "
                                + NISTObjectIdentifiers.id_aes256_CBC
                                + ")");
            }
        } catch (IdentityStoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw IdentityFileErrors.corrupt(file, "malformed cipher parameters", e);
        }
    }

    /**
     * Decrypts the PKCS#8 PrivateKeyInfo. Every failure from here on is reported without its cause:
     * it concerns the plaintext.
     */
    static PrivateKeyInfo decrypt(EncryptedPrivateKeyInfo info, char[] passphrase, Path file)
            throws IdentityStoreException {
        InputDecryptorProvider decryptor =
                new JcePKCSPBEInputDecryptorProviderBuilder()
                        .setProvider(Bc.PROVIDER)
                        .build(passphrase);
        try {
            return new PKCS8EncryptedPrivateKeyInfo(info).decryptPrivateKeyInfo(decryptor);
        } catch (PKCSException | RuntimeException e) {
            // AES-GCM tag failure, CBC padding failure, or plaintext that is not PKCS#8.
            throw IdentityFileErrors.wrongPassphraseOrTampered(file, "decryption failed");
        }
    }

    /** Bouncy Castle, created on first use and never registered with {@code Security}. */
    private static final class Bc {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }
}
