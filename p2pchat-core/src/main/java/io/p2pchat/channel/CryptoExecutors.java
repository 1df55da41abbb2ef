package io.p2pchat.channel;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default executor for handshake public-key work (RSA signatures, key agreement, peer
 * verification), so that a 3.5 ms RSA-3072 signature never stalls an event loop that serves other
 * channels.
 *
 * <p>One daemon thread per core, a bounded queue; when the queue is full the task is rejected and
 * the handshake fails with {@code BUSY} rather than waiting.
 */
final class CryptoExecutors {
    /** Queue bound of the shared executor. */
    public static final int QUEUE_CAPACITY = 1024;

    private static final class Holder {
        static final Executor SHARED = newExecutor("p2pchat-crypto");
    }

    private CryptoExecutors() {}

    /** The process-wide shared crypto executor, created on first use. */
    public static Executor shared() {
        return Holder.SHARED;
    }

    /** A new bounded crypto executor with one thread per core. */
    public static ThreadPoolExecutor newExecutor(String namePrefix) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory factory =
                r -> {
                    Thread t = new Thread(r, namePrefix + "-" + counter.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
        ThreadPoolExecutor executor =
                new ThreadPoolExecutor(
                        threads,
                        threads,
                        30,
                        TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                        factory,
                        new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
