package io.p2pchat.example.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bus hands every event to every view in order, and a slow view never slows a publisher. */
class EventBusTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static Event info(int i) {
        return Event.of(Event.Form.LINE, "info", "line " + i, "message", "line " + i);
    }

    /** Two views get the same events, in publish order. */
    @Test
    void publish_twoViews_bothGetEveryEventInOrder() throws Exception {
        EventBus bus = new EventBus();
        List<String> a = new CopyOnWriteArrayList<>();
        List<String> b = new CopyOnWriteArrayList<>();
        try (EventBus.Subscription sa = bus.subscribe("a", e -> a.add(e.text()));
                EventBus.Subscription sb = bus.subscribe("b", e -> b.add(e.text()))) {
            for (int i = 0; i < 100; i++) {
                bus.publish(info(i));
            }
            assertThat(bus.flush(WAIT)).isTrue();
            assertThat(a).hasSize(100).startsWith("line 0", "line 1").endsWith("line 99");
            assertThat(b).isEqualTo(a);
            assertThat(sa.dropped()).isZero();
        }
    }

    /**
     * A view stuck on an event does not block the publisher: events beyond its queue are dropped
     * for it, and it is told how many before the next one it gets; another view gets them all.
     */
    @Test
    void publish_stuckView_publisherGoesOnAndDropIsReported() throws Exception {
        EventBus bus = new EventBus();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Event> slow = new CopyOnWriteArrayList<>();
        List<Event> fast = new CopyOnWriteArrayList<>();
        try (EventBus.Subscription s =
                        bus.subscribe(
                                "slow",
                                e -> {
                                    slow.add(e);
                                    entered.countDown();
                                    try {
                                        release.await(30, TimeUnit.SECONDS);
                                    } catch (InterruptedException ex) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                4);
                EventBus.Subscription f = bus.subscribe("fast", fast::add)) {
            bus.publish(info(0));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= 1000; i++) {
                bus.publish(info(i)); // 4 fit in the stuck view's queue, 996 do not
            }
            // The publisher got here while the stuck view still holds its first event: it never
            // waited for that view (had it, the view would have been released by its timeout).
            assertThat(slow).hasSize(1);
            assertThat(s.dropped()).isEqualTo(996);
            assertThat(f.awaitDelivered(WAIT)).isTrue();
            assertThat(fast).hasSize(1001);

            release.countDown();
            assertThat(s.awaitDelivered(WAIT)).isTrue();
            assertThat(slow).hasSize(6);
            Event notice = slow.get(1);
            assertThat(notice.type()).isEqualTo(EventType.DROPPED);
            assertThat(notice.fields()).containsEntry("count", 996L);
            assertThat(notice.text()).startsWith("error: 996 events were not shown here");
            assertThat(slow.subList(2, 6))
                    .extracting(Event::text)
                    .containsExactly("line 1", "line 2", "line 3", "line 4");
        }
    }

    /** A view that throws still gets the events after the one it failed on. */
    @Test
    void publish_failingView_getsTheNextEvents() throws Exception {
        EventBus bus = new EventBus();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (EventBus.Subscription s =
                bus.subscribe(
                        "failing",
                        e -> {
                            seen.add(e.text());
                            if (e.text().equals("line 0")) {
                                throw new IllegalStateException("boom");
                            }
                        })) {
            bus.publish(info(0));
            bus.publish(info(1));
            assertThat(s.awaitDelivered(WAIT)).isTrue();
            assertThat(seen).containsExactly("line 0", "line 1");
        }
    }

    /** Every kind the console prints has a type, and unknown kinds are OTHER. */
    @Test
    void eventType_jsonNames_roundTrip() {
        for (EventType t : EventType.values()) {
            assertThat(EventType.of(t.jsonName())).isEqualTo(t);
        }
        assertThat(EventType.of("name_changed")).isEqualTo(EventType.NAME_CHANGED);
        assertThat(EventType.of("no_such_kind")).isEqualTo(EventType.OTHER);
    }
}
