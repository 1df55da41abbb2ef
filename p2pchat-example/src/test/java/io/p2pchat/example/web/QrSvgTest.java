package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.decoder.Decoder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** QR codes as SVG: what is drawn decodes back to the text. */
class QrSvgTest {
    private static final Pattern VIEW_BOX = Pattern.compile("viewBox=\"0 0 (\\d+) (\\d+)\"");
    private static final Pattern MODULE = Pattern.compile("M(\\d+) (\\d+)h1v1h-1z");

    /** The modules drawn, read back by ZXing's decoder, give the fingerprint. */
    @Test
    void decodesBackToTheText() throws Exception {
        String fingerprint =
                "12345 67890 12345 67890 12345 67890 12345 67890 12345 67890 12345 67890";
        String svg = QrSvg.render(fingerprint);
        assertThat(decode(svg)).isEqualTo(fingerprint);
    }

    /** The text itself is never in the SVG: markup in it cannot reach the page. */
    @Test
    void holdsNoTextOfTheInput() throws Exception {
        String svg = QrSvg.render("<script>alert(1)</script>");
        assertThat(svg).doesNotContain("script").doesNotContain("alert");
        assertThat(decode(svg)).isEqualTo("<script>alert(1)</script>");
    }

    /** Empty and overlong texts are refused. */
    @Test
    void boundsTheText() {
        assertThatThrownBy(() -> QrSvg.render("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QrSvg.render("9".repeat(QrSvg.MAX_TEXT_LENGTH + 1)))
                .hasMessageContaining("1 to 256 characters");
    }

    private static String decode(String svg) throws Exception {
        Matcher box = VIEW_BOX.matcher(svg);
        assertThat(box.find()).isTrue();
        int modules = Integer.parseInt(box.group(1)) - 8; // a quiet zone of 4 on each side
        BitMatrix m = new BitMatrix(modules);
        Matcher dark = MODULE.matcher(svg);
        while (dark.find()) {
            m.set(Integer.parseInt(dark.group(1)) - 4, Integer.parseInt(dark.group(2)) - 4);
        }
        return new Decoder().decode(m).getText();
    }
}
