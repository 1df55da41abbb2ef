package io.p2pchat.example.text;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The example's {@code logback.xml} (what a person's {@code --verbose} run prints on standard
 * error): a log message or an exception quoting a peer's text reaches the terminal escaped.
 */
class LogPatternTest {
    @Test
    @SuppressWarnings("unchecked")
    void theShippedLogPattern_escapesMessagesAndStackTraces() throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator config = new JoranConfigurator();
        config.setContext(context);
        config.doConfigure(LogPatternTest.class.getResource("/logback.xml"));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        OutputStreamAppender<?> appender = (OutputStreamAppender<?>) root.getAppender("STDERR");
        Encoder<Object> encoder = (Encoder<Object>) (Encoder<?>) appender.getEncoder();
        Logger log = context.getLogger("io.p2pchat.node.Node");

        LoggingEvent event =
                new LoggingEvent(
                        Logger.class.getName(),
                        log,
                        Level.ERROR,
                        "peer {} at {}",
                        new IllegalStateException(
                                "reason \u001b[2J\n\tat forged.Frame(here)",
                                new RuntimeException("cause \u202e")),
                        new Object[] {"\u202eevil", "host\r\u009b"});
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
        context.stop();

        assertThat(line).contains(" - peer \\u202eevil at host\\r\\u009b\n");
        assertThat(line)
                .contains("java.lang.IllegalStateException: reason \\x1b[2J\\n\\tat forged.Frame");
        assertThat(line).contains("Caused by: java.lang.RuntimeException: cause \\u202e\n");
        assertThat(line).contains("\n\tat io.p2pchat.example.text.LogPatternTest");
        line.codePoints()
                .forEach(
                        cp ->
                                assertThat(cp == '\n' || cp == '\t' || !TerminalText.isUnsafe(cp))
                                        .as("U+%04X", cp)
                                        .isTrue());
    }
}
