package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.p2pchat.crypto.AesGcm;
import io.p2pchat.crypto.Hkdf;
import io.p2pchat.crypto.KeySchedule;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidAlgorithmParameterException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-09: the record nonce is {@code iv XOR seq} (RFC 8446 §5.3), no (key, nonce) pair
 * repeats over 2^20 records under each of four keys (the first and three ratchets), the nonce the
 * test hooks report is the one {@link RecordWriter#seal} really uses, and the JDK refuses a second
 * GCM encryption with the same key and IV.
 */
class NonceConstructionTest {
    private static final int SEQUENCES = 1 << 20;
    private static final int RATCHETS = 3;
    private static final int KEY_LENGTH = 16;
    private static final HexFormat HEX = HexFormat.of();

    /** A (key, nonce) pair, the key by an id given per distinct key content. */
    private record KeyNonce(int keyId, int nonceHigh, long nonceLow) {
        static KeyNonce of(int keyId, byte[] nonce) {
            ByteBuffer b = ByteBuffer.wrap(nonce);
            return new KeyNonce(keyId, b.getInt(), b.getLong());
        }
    }

    @Test
    void recordWriterNonces_2pow20SequencesAcrossThreeRatchets_neverRepeatAKeyNoncePair() {
        RecordWriter writer = new RecordWriter(KEY_LENGTH);
        writer.install(0, trafficSecret());
        Map<String, Integer> keyIds = new HashMap<>();
        Set<KeyNonce> seen = new HashSet<>(2 * SEQUENCES * (RATCHETS + 1));
        for (int epoch = 0; epoch <= RATCHETS; epoch++) {
            if (epoch > 0) {
                writer.ratchet();
            }
            byte[] secret = writer.trafficSecretForTesting();
            byte[] key = KeySchedule.trafficKey(secret, KEY_LENGTH);
            byte[] iv = KeySchedule.trafficIv(secret);
            int keyId = keyIds.computeIfAbsent(HEX.formatHex(key), k -> keyIds.size());
            for (long seq = 0; seq < SEQUENCES; seq++) {
                byte[] nonce = writer.nonceForTesting(seq);
                if (!Arrays.equals(nonce, ivXorSeq(iv, seq))) {
                    fail("epoch %d seq %d: nonce %s is not iv XOR seq", epoch, seq, hex(nonce));
                }
                if (!seen.add(KeyNonce.of(keyId, nonce))) {
                    fail("epoch %d seq %d: (key, nonce) pair repeated", epoch, seq);
                }
            }
        }
        assertThat(writer.epoch()).isEqualTo(RATCHETS);
        assertThat(keyIds).as("distinct keys").hasSize(RATCHETS + 1);
        assertThat(seen).hasSize(SEQUENCES * (RATCHETS + 1));
    }

    @Test
    void recordWriterSeal_atAnySequence_encryptsUnderIvXorSequence() throws Exception {
        RecordWriter writer = new RecordWriter(KEY_LENGTH);
        writer.install(0, trafficSecret());
        writer.ratchet();
        byte[] secret = writer.trafficSecretForTesting();
        SecretKeySpec key = new SecretKeySpec(KeySchedule.trafficKey(secret, KEY_LENGTH), "AES");
        byte[] iv = KeySchedule.trafficIv(secret);
        byte[] plaintext = "nonce construction".getBytes(StandardCharsets.US_ASCII);
        for (long seq : new long[] {0, 1, 0xFF, SEQUENCES - 1, 1L << 32, 1L << 62}) {
            writer.setSequenceForTesting(seq);
            assertThat(writer.nonceForTesting(seq)).isEqualTo(ivXorSeq(iv, seq));
            ByteBuf frame =
                    writer.seal(
                            UnpooledByteBufAllocator.DEFAULT,
                            ContentType.APPLICATION_DATA,
                            plaintext);
            byte[] bytes;
            try {
                bytes = ByteBufUtil.getBytes(frame);
            } finally {
                frame.release();
            }
            assertThat(openWithJdk(key, ivXorSeq(iv, seq), bytes))
                    .as("seq %d", seq)
                    .isEqualTo(plaintext);
            assertThatThrownBy(() -> openWithJdk(key, ivXorSeq(iv, seq + 1), bytes))
                    .as("seq %d opened with the nonce of seq + 1", seq)
                    .isInstanceOf(AEADBadTagException.class);
        }
    }

    @Test
    void nonceForTesting_edgeSequences_xorOnlyTheLast8BytesOfTheIv() {
        byte[] iv = HEX.parseHex("0102030405060708090a0b0c");
        AesGcm gcm = new AesGcm();
        gcm.init(new byte[KEY_LENGTH], iv);
        assertThat(gcm.nonceForTesting(0)).isEqualTo(iv);
        assertThat(gcm.nonceForTesting(1)).isEqualTo(HEX.parseHex("0102030405060708090a0b0d"));
        assertThat(gcm.nonceForTesting(0x0102030405060708L))
                .isEqualTo(HEX.parseHex("010203040404040c0c0c0c04"));
        assertThat(gcm.nonceForTesting(-1L)).isEqualTo(HEX.parseHex("01020304faf9f8f7f6f5f4f3"));
    }

    @Test
    void cipherInit_sameKeyAndIvForEncryptionTwice_throws() throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec key = new SecretKeySpec(new byte[KEY_LENGTH], "AES");
        GCMParameterSpec spec = new GCMParameterSpec(128, new byte[AesGcm.IV_LENGTH]);
        cipher.init(Cipher.ENCRYPT_MODE, key, spec);
        cipher.doFinal(new byte[1]);
        assertThatThrownBy(() -> cipher.init(Cipher.ENCRYPT_MODE, key, spec))
                .isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("Cannot reuse iv for GCM encryption");
    }

    @Test
    void aesGcmSeal_sameSequenceTwiceUnderOneKey_throwsIllegalState() {
        AesGcm gcm = new AesGcm();
        gcm.init(new byte[KEY_LENGTH], new byte[AesGcm.IV_LENGTH]);
        byte[] out = new byte[1 + AesGcm.TAG_LENGTH];
        gcm.seal(7, new byte[0], 0, 0, new byte[1], 0, 1, out, 0);
        assertThatThrownBy(() -> gcm.seal(7, new byte[0], 0, 0, new byte[1], 0, 1, out, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasCauseInstanceOf(InvalidAlgorithmParameterException.class);
    }

    private static byte[] openWithJdk(SecretKeySpec key, byte[] nonce, byte[] frame)
            throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(frame, 0, RecordFormat.HEADER_LENGTH);
        return cipher.doFinal(
                frame, RecordFormat.HEADER_LENGTH, frame.length - RecordFormat.HEADER_LENGTH);
    }

    /** RFC 8446 §5.3, written independently of {@link AesGcm}. */
    private static byte[] ivXorSeq(byte[] iv, long seq) {
        byte[] nonce = iv.clone();
        byte[] s = ByteBuffer.allocate(Long.BYTES).putLong(seq).array();
        for (int i = 0; i < Long.BYTES; i++) {
            nonce[AesGcm.IV_LENGTH - Long.BYTES + i] ^= s[i];
        }
        return nonce;
    }

    private static byte[] trafficSecret() {
        byte[] secret = new byte[Hkdf.HASH_LENGTH];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) (0x40 + i);
        }
        return secret;
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }
}
