package io.p2pchat.channel;

import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.Ping;
import java.util.concurrent.TimeUnit;

/**
 * The timer of an established channel (protocol.md §9): fails the channel with {@code IDLE_TIMEOUT}
 * when nothing was received for the idle timeout, sends a {@code Ping} when nothing was sent for
 * the keep-alive interval, and lets {@link Rekey} start a rekey when the policy's time interval has
 * passed. One fixed-rate task on the event loop, at a quarter of the shorter of the two periods.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link RecordCodecCore}; time is the
 * event loop's ticker ({@link RecordCodecCore#now()}), so tests drive it without sleeping.
 */
final class KeepAlive {
    private final RecordCodecCore core;
    private final ChannelSettings settings;
    private final Rekey rekey;
    private long lastReadNanos;
    private long lastWriteNanos;
    private ScheduledFuture<?> timer;

    KeepAlive(RecordCodecCore core, ChannelSettings settings, Rekey rekey, long now) {
        this.core = core;
        this.settings = settings;
        this.rekey = rekey;
        this.lastReadNanos = now;
        this.lastWriteNanos = now;
    }

    /** Schedules the timer. */
    void start() {
        long period =
                Math.max(
                        10,
                        Math.min(
                                        settings.keepAliveInterval().toMillis(),
                                        settings.idleTimeout().toMillis())
                                / 4);
        timer =
                core.executor()
                        .scheduleAtFixedRate(this::onTimer, period, period, TimeUnit.MILLISECONDS);
    }

    /** A record was received at {@code now}. */
    void received(long now) {
        lastReadNanos = now;
    }

    /** A record was sent at {@code now}. */
    void sent(long now) {
        lastWriteNanos = now;
    }

    private void onTimer() {
        if (!core.isActive() || core.isFailed()) {
            return;
        }
        long now = core.now();
        if (now - lastReadNanos >= settings.idleTimeout().toNanos()) {
            core.fail(
                    new RecordException(
                            ErrorCode.IDLE_TIMEOUT,
                            "nothing received for " + settings.idleTimeout().toMillis() + " ms"));
            return;
        }
        if (!core.canSend()) {
            return;
        }
        if (now - lastWriteNanos >= settings.keepAliveInterval().toNanos()) {
            core.sendControl(
                    ControlMessage.newBuilder()
                            .setPing(Ping.newBuilder().setNonce(now))
                            .build()
                            .toByteArray(),
                    Ratchet.After.NORMAL);
            core.flushNow();
        }
        rekey.onTimer(now);
    }

    /** Cancels the timer. */
    void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
