package io.p2pchat.example.text;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;

/**
 * Logback's {@code %ex} (a stack trace) with the message of each exception in it, causes and
 * suppressed ones included, rendered by {@link TerminalText#escape}: a message may quote a peer's
 * text, which must neither act on the terminal nor forge lines of the trace. The frames are the
 * JVM's and stay as they are. The example's {@code logback.xml} names it {@code %eex}.
 */
public final class EscapedThrowableConverter extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return super.throwableProxyToString(new Escaped(tp));
    }

    /** {@code tp} with escaped messages. */
    private static final class Escaped implements IThrowableProxy {
        private final IThrowableProxy tp;

        Escaped(IThrowableProxy tp) {
            this.tp = tp;
        }

        @Override
        public String getMessage() {
            return tp.getMessage() == null ? null : TerminalText.escape(tp.getMessage());
        }

        @Override
        public String getClassName() {
            return TerminalText.escape(tp.getClassName());
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return tp.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return tp.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            return tp.getCause() == null ? null : new Escaped(tp.getCause());
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] s = tp.getSuppressed();
            if (s == null) {
                return null;
            }
            IThrowableProxy[] e = new IThrowableProxy[s.length];
            for (int i = 0; i < s.length; i++) {
                e[i] = new Escaped(s[i]);
            }
            return e;
        }

        @Override
        public boolean isCyclic() {
            return tp.isCyclic();
        }
    }
}
