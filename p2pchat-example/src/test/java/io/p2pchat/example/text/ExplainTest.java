package io.p2pchat.example.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerVerificationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The sentences a person reads when a peer's delegated credential is refused. */
class ExplainTest {
    @Test
    void expiredCredential_pointsAtTheClocks_andEscapesTheDetail() {
        String s =
                Explain.authentication(
                        new CompletionException(
                                new PeerVerificationException(
                                        ErrorCode.CREDENTIAL_EXPIRED,
                                        "not after 2026-12-01 \u001b[2J")));
        assertThat(s).contains("expired or not valid yet").contains("clock").contains("[2J");
        assertThat(s).doesNotContain("\u001b");
    }

    @Test
    void badCredential_saysBrokenOrForged() {
        String s =
                Explain.authentication(
                        new PeerVerificationException(ErrorCode.BAD_CREDENTIAL, "bad signature"));
        assertThat(s).startsWith("it presented a broken or forged signing credential");
    }
}
