package io.nodedns.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a ByteBuf that was
 * garbage-collected without being released. Registered for every test class
 * through JUnit's extension auto-detection (see junit-platform.properties), with
 * the paranoid detection level set by surefire's argLine.
 *
 * <p>Netty only notices a leak when it next allocates after the leaked buffer was
 * collected, so {@link #afterAll} forces a few collection-and-allocation rounds.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (LEAKS) {
            LEAKS.clear();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            // Allocation is what drains the detector's reference queue.
            io.netty.buffer.ByteBuf probe = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(16);
            probe.release();
            io.netty.buffer.ByteBuf heap = io.netty.buffer.UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
            heap.release();
        }
        List<String> found;
        synchronized (LEAKS) {
            found = new ArrayList<>(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " ByteBuf leak(s) in " + context.getDisplayName()
                    + ":\n" + String.join("\n----\n", found));
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<T>(resource, samplingInterval, maxActive) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    super.reportTracedLeak(resourceType, records);
                    synchronized (LEAKS) {
                        LEAKS.add(resourceType + records);
                    }
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    super.reportUntracedLeak(resourceType);
                    synchronized (LEAKS) {
                        LEAKS.add(resourceType + " (untraced)");
                    }
                }
            };
        }
    }
}
