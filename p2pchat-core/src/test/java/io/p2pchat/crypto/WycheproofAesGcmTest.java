package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.Result;
import io.p2pchat.crypto.WycheproofVectors.SkipRule;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-01: Wycheproof AES-GCM through {@link AesGcm}, the primitive under the record layer.
 *
 * <p>Each vector gets a fresh {@link AesGcm} (the JDK refuses a second encryption with one key and
 * IV), {@code init(key, iv)} and sequence number 0, so the nonce is {@code iv XOR 0 = iv}: the code
 * path {@code RecordWriter} and {@code RecordReader} use, with their buffer layouts (ciphertext at
 * an offset into a larger array, and decryption in place as for a direct-buffer frame).
 *
 * <ul>
 *   <li>valid: {@code open} yields {@code msg} (both layouts) and {@code seal} yields {@code
 *       ct||tag};
 *   <li>invalid with a 96-bit IV ({@code ModifiedTag}): {@code open} throws {@link
 *       AEADBadTagException} and leaves the output untouched, so no plaintext is released;
 *   <li>invalid with a 0-bit IV ({@code ZeroLengthIv}): run; {@code init} must refuse the IV.
 * </ul>
 *
 * Skip rules, each checked per vector (the wrapper must refuse what the rule says it refuses):
 * {@link #KEY_192} first, then {@link #IV_NOT_96}.
 */
class WycheproofAesGcmTest {
    static final SkipRule KEY_192 =
            new SkipRule(
                    "AES_192_KEY",
                    "AesGcm takes 16- and 32-byte keys only (p2pchat's suites are AES-128-GCM and"
                            + " AES-256-GCM); init refuses a 24-byte key");

    static final SkipRule IV_NOT_96 =
            new SkipRule(
                    "IV_NOT_96_BITS",
                    "records use a 12-byte static IV (RFC 8446 §5.3 nonce construction); init"
                        + " refuses any other IV length, so the GHASH-derived counter block of"
                        + " SmallIv/LongIv/CounterWrap vectors with other IV sizes is unreachable");

    private static final int IN_OFFSET = 9; // ciphertext follows the record header in a frame
    private static final int OUT_OFFSET = 3;
    private static final byte SENTINEL = (byte) 0xA5;

    @Test
    void aesGcm_allWycheproofVectors_meetExpectedResultOrSkipRule() {
        VectorFile file = WycheproofVectors.load("aes_gcm_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            byte[] key = v.hex("key");
            byte[] iv = v.hex("iv");
            if (key.length == 24) {
                tally.skip(v, KEY_192, () -> assertInitRefused(key, new byte[AesGcm.IV_LENGTH]));
            } else if (iv.length == 0 && v.result() == Result.INVALID) {
                tally.run(v, () -> assertInitRefused(key, iv));
            } else if (iv.length != AesGcm.IV_LENGTH) {
                tally.skip(v, IV_NOT_96, () -> assertInitRefused(key, iv));
            } else {
                tally.run(v, () -> check96BitIv(v, key, iv));
            }
        }
        tally.assertComplete(137, Map.of(KEY_192, 103, IV_NOT_96, 76));
    }

    @Test
    void aesGcm_96BitIvVectorsWithSupportedKeys_coverValidAndModifiedTagCases() {
        VectorFile file = WycheproofVectors.load("aes_gcm_test.json");
        long valid =
                file.vectors().stream()
                        .filter(v -> is96BitIvSupportedKey(v) && v.result() == Result.VALID)
                        .count();
        long modifiedTag =
                file.vectors().stream()
                        .filter(v -> is96BitIvSupportedKey(v) && v.hasFlag("ModifiedTag"))
                        .count();
        long invalid =
                file.vectors().stream()
                        .filter(v -> is96BitIvSupportedKey(v) && v.result() == Result.INVALID)
                        .count();
        // 197 vectors have 96-bit IVs; the 64 of them with 192-bit keys fall under KEY_192.
        assertThat(valid).isEqualTo(79);
        assertThat(modifiedTag).isEqualTo(54).isEqualTo(invalid);
    }

    private static boolean is96BitIvSupportedKey(Vector v) {
        return v.hex("iv").length == AesGcm.IV_LENGTH && v.hex("key").length != 24;
    }

    private static void check96BitIv(Vector v, byte[] key, byte[] iv) throws Exception {
        assertThat(v.group().integer("tagSize")).as("tagSize").isEqualTo(AesGcm.TAG_LENGTH * 8);
        byte[] aad = v.hex("aad");
        byte[] msg = v.hex("msg");
        byte[] ctTag = concat(v.hex("ct"), v.hex("tag"));
        AesGcm gcm = new AesGcm();
        gcm.init(key, iv);
        assertThat(gcm.nonceForTesting(0)).as("nonce of seq 0").isEqualTo(iv);

        byte[] in = new byte[IN_OFFSET + ctTag.length];
        System.arraycopy(ctTag, 0, in, IN_OFFSET, ctTag.length);
        byte[] out = new byte[OUT_OFFSET + ctTag.length];
        Arrays.fill(out, SENTINEL);
        byte[] inPlace = ctTag.clone();

        switch (v.result()) {
            case VALID:
                {
                    int n = open(gcm, aad, in, IN_OFFSET, ctTag.length, out, OUT_OFFSET);
                    assertThat(Arrays.copyOfRange(out, OUT_OFFSET, OUT_OFFSET + n))
                            .as("open")
                            .isEqualTo(msg);
                    int m = open(gcm, aad, inPlace, 0, inPlace.length, inPlace, 0);
                    assertThat(Arrays.copyOf(inPlace, m)).as("open in place").isEqualTo(msg);
                    byte[] sealed = new byte[msg.length + AesGcm.TAG_LENGTH];
                    int s = gcm.seal(0, aad, 0, aad.length, msg, 0, msg.length, sealed, 0);
                    assertThat(s).as("sealed length").isEqualTo(ctTag.length);
                    assertThat(sealed).as("seal").isEqualTo(ctTag);
                    break;
                }
            case INVALID:
                {
                    byte[] outBefore = out.clone();
                    int len = ctTag.length;
                    assertThatThrownBy(() -> open(gcm, aad, in, IN_OFFSET, len, out, OUT_OFFSET))
                            .isInstanceOf(AEADBadTagException.class);
                    int ptLen = Math.max(0, len - AesGcm.TAG_LENGTH);
                    assertNoPlaintext(
                            out, outBefore, OUT_OFFSET, ptLen, "output after a failed open");
                    assertThatThrownBy(() -> open(gcm, aad, inPlace, 0, inPlace.length, inPlace, 0))
                            .isInstanceOf(AEADBadTagException.class);
                    assertNoPlaintext(
                            inPlace, ctTag, 0, ptLen, "buffer after a failed in-place open");
                    break;
                }
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
    }

    /**
     * After a failed open, {@code after} equals {@code before} except that the plaintext's place is
     * zero-filled, on every JDK: JDK 17's SunJCE writes nothing there, Java 25's decrypted into it
     * and, in place, left the unauthenticated plaintext behind; {@link AesGcm#open} zeroes it.
     */
    private static void assertNoPlaintext(
            byte[] after, byte[] before, int off, int ptLen, String what) {
        byte[] expected = before.clone();
        Arrays.fill(expected, off, off + ptLen, (byte) 0);
        assertThat(after).as(what + ": zero where the plaintext would be").isEqualTo(expected);
    }

    /** {@link AesGcm#open} at sequence number 0, as the record reader calls it. */
    private static int open(
            AesGcm gcm, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws AEADBadTagException {
        return gcm.open(0, aad, 0, aad.length, in, inOff, len, out, outOff);
    }

    private static void assertInitRefused(byte[] key, byte[] iv) {
        assertThatThrownBy(() -> new AesGcm().init(key, iv))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
