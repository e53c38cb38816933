package io.nodedns.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.ResponseScanner;

/** Upstream responses made into templates as the server makes them, for tests and benchmarks. */
public final class Templates {
    private Templates() {}

    /**
     * {@link ResponseScanner#scan} of {@code responseWire} (read from a buffer that is released
     * afterwards): the template, or null when the scanner rejects the message.
     */
    public static AnswerTemplate scan(byte[] responseWire) {
        ByteBuf buf = Unpooled.wrappedBuffer(responseWire);
        try {
            return ResponseScanner.scan(buf);
        } finally {
            buf.release();
        }
    }
}
