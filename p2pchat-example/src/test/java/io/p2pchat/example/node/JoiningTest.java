package io.p2pchat.example.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.channel.AlertCode;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerAlertException;
import io.p2pchat.channel.SecureChannelException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The retry policy of a joiner: its backoff, and which failures end it. */
class JoiningTest {
    @Test
    void backoff_doublesFromTheMinimumToTheMaximum_withinTwentyPercent() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        long base = 1000;
        for (int i = 0; i < 12; i++) {
            long d = b.next().toMillis();
            assertThat(d).as("attempt " + i).isBetween(Math.max(1000, base * 8 / 10), 60_000L);
            assertThat(d).as("attempt " + i).isLessThanOrEqualTo(base * 12 / 10);
            base = Math.min(60_000, base * 2);
        }
        assertThat(b.attempts()).isEqualTo(12);
    }

    @Test
    void nobodyThereOrBusy_isRetried_aRefusalIsFinal() {
        assertThat(Joining.fatal(new ExecutionException(new ConnectException("refused"))))
                .isFalse();
        assertThat(Joining.fatal(new SecureChannelException(ErrorCode.HANDSHAKE_TIMEOUT)))
                .isFalse();
        assertThat(Joining.fatal(new SecureChannelException(ErrorCode.TRUNCATED))).isFalse();
        assertThat(Joining.fatal(new PeerAlertException(AlertCode.RESOURCE_LIMIT))).isFalse();

        assertThat(Joining.fatal(new SecureChannelException(ErrorCode.WRONG_NETWORK))).isTrue();
        assertThat(Joining.fatal(new PeerAlertException(AlertCode.AUTH_FAILED))).isTrue();
        assertThat(Joining.fatal(new PeerAlertException(AlertCode.POLICY))).isTrue();
        assertThat(Joining.fatal(new SecureChannelException(ErrorCode.BAD_SIGNATURE))).isTrue();
    }
}
