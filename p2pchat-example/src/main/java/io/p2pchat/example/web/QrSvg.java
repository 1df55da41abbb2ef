package io.p2pchat.example.web;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.google.zxing.qrcode.encoder.ByteMatrix;
import com.google.zxing.qrcode.encoder.Encoder;
import com.google.zxing.qrcode.encoder.QRCode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A QR code as an SVG image: ZXing computes the modules, and each dark one is a unit square of a
 * single {@code <path>}, inside a quiet zone of four modules. The SVG holds no text from the input
 * (only coordinates), so it is safe to show whatever was encoded.
 */
public final class QrSvg {
    /** The longest text encoded (fingerprints are far shorter). */
    public static final int MAX_TEXT_LENGTH = 256;

    private static final int QUIET_ZONE = 4;

    private QrSvg() {}

    /**
     * The QR code of {@code text} (error correction level M, UTF-8) as an SVG document.
     *
     * @throws IllegalArgumentException if {@code text} is empty or longer than {@link
     *     #MAX_TEXT_LENGTH}
     */
    public static String render(String text) {
        if (text.isEmpty() || text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException(
                    "text must have 1 to " + MAX_TEXT_LENGTH + " characters, got " + text.length());
        }
        QRCode code;
        try {
            code =
                    Encoder.encode(
                            text,
                            ErrorCorrectionLevel.M,
                            Map.of(EncodeHintType.CHARACTER_SET, StandardCharsets.UTF_8.name()));
        } catch (WriterException e) {
            throw new IllegalArgumentException("text cannot be encoded as a QR code", e);
        }
        ByteMatrix m = code.getMatrix();
        int size = m.getWidth() + 2 * QUIET_ZONE;
        StringBuilder path = new StringBuilder(m.getWidth() * m.getHeight() * 4);
        for (int y = 0; y < m.getHeight(); y++) {
            for (int x = 0; x < m.getWidth(); x++) {
                if (m.get(x, y) == 1) {
                    path.append('M')
                            .append(x + QUIET_ZONE)
                            .append(' ')
                            .append(y + QUIET_ZONE)
                            .append("h1v1h-1z");
                }
            }
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
                + size
                + ' '
                + size
                + "\" shape-rendering=\"crispEdges\">"
                + "<rect width=\""
                + size
                + "\" height=\""
                + size
                + "\" fill=\"#fff\"/><path fill=\"#000\" d=\""
                + path
                + "\"/></svg>";
    }
}
