package io.p2pchat.example.text;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %msg} rendered with {@link TerminalText#escape}: a log message quoting a peer's
 * text (an address, a reason, a name) cannot put a control sequence on the terminal or in the log
 * file, nor forge a second log line. The example's {@code logback.xml} names it {@code %emsg}.
 */
public final class EscapedMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return TerminalText.escape(event.getFormattedMessage());
    }
}
