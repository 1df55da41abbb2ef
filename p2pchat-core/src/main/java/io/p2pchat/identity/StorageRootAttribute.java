package io.p2pchat.identity;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.jspecify.annotations.Nullable;

/**
 * The storage root's place in an identity file: one PKCS#8 PrivateKeyInfo attribute of type {@value
 * IdentityStore#STORAGE_ROOT_OID} whose single OCTET STRING holds the 32-byte root and its 32-byte
 * check value ({@link StorageRoot#checkValue}), inside the encryption.
 *
 * <p>Threading: stateless.
 */
final class StorageRootAttribute {
    private static final ASN1ObjectIdentifier OID =
            new ASN1ObjectIdentifier(IdentityStore.STORAGE_ROOT_OID);
    private static final int VALUE_LENGTH = 2 * StorageRoot.LENGTH_BYTES;

    private StorageRootAttribute() {}

    /**
     * The PrivateKeyInfo attributes that hold {@code value} ({@link StorageRoot#attributeValue()}),
     * or null for a file without a root.
     */
    static @Nullable ASN1Set encode(byte @Nullable [] value) {
        return value == null
                ? null
                : new DERSet(new Attribute(OID, new DERSet(new DEROctetString(value))));
    }

    /**
     * The storage root in the PrivateKeyInfo's attributes, or null if the file has no attributes
     * (written before storage roots existed, or by another tool). Anything else than exactly our
     * attribute, well formed and passing its check, is refused as tampering: with AES-CBC the
     * attributes are not authenticated, and a modified block must not pass for a file without a
     * root (which {@link IdentityStore#open} would then give a new one) or for another root.
     */
    static byte @Nullable [] read(PrivateKeyInfo plain, Path file) throws IdentityStoreException {
        ASN1Set attributes = plain.getAttributes();
        if (attributes == null) {
            return null;
        }
        byte[] value = null;
        try {
            Attribute attribute = Attribute.getInstance(attributes.getObjectAt(0));
            ASN1Set values = attribute.getAttrValues();
            if (attributes.size() != 1
                    || !OID.equals(attribute.getAttrType())
                    || values.size() != 1) {
                throw new IllegalArgumentException("not one storage root attribute");
            }
            value = ASN1OctetString.getInstance(values.getObjectAt(0)).getOctets();
            if (value.length != VALUE_LENGTH) {
                throw new IllegalArgumentException("length");
            }
            byte[] root = Arrays.copyOf(value, StorageRoot.LENGTH_BYTES);
            byte[] check = StorageRoot.checkValue(root);
            boolean intact =
                    MessageDigest.isEqual(
                            check,
                            Arrays.copyOfRange(value, StorageRoot.LENGTH_BYTES, value.length));
            Arrays.fill(check, (byte) 0);
            if (!intact) {
                Arrays.fill(root, (byte) 0);
                throw new IllegalArgumentException("check");
            }
            return root;
        } catch (RuntimeException e) {
            // No cause: the plaintext's parser messages stay out of the exception.
            throw IdentityFileErrors.wrongPassphraseOrTampered(
                    file, "the storage root stored with the key is malformed or damaged");
        } finally {
            if (value != null) {
                Arrays.fill(value, (byte) 0);
            }
        }
    }
}
