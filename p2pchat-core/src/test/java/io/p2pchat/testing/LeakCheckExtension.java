package io.p2pchat.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class whose tests leaked a {@code ByteBuf}: after the class, collects garbage, makes
 * Netty's detector process its queue, and fails if {@link LeakRecordingDetector} saw any leak.
 * Registered for every test class through the JUnit service loader.
 */
public final class LeakCheckExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        if (!(io.netty.util.ResourceLeakDetector.isEnabled())) {
            return;
        }
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            churn();
            leaks.addAll(LeakRecordingDetector.drain());
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(
                    leaks.size()
                            + " ByteBuf leak(s) in "
                            + context.getDisplayName()
                            + ":\n"
                            + String.join("\n", leaks));
        }
    }

    /** Allocations make the detector poll its reference queue and report collected leaks. */
    private static void churn() {
        for (int i = 0; i < 64; i++) {
            ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
            ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
            ByteBuf c = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
            a.release();
            b.release();
            c.release();
        }
    }
}
