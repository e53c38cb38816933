package io.nodedns.cache;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The binary format of a warm restart file ({@code -cache-dir}): the entries of each block's
 * cache with their age and wire bytes, under a wall-clock timestamp. Big-endian throughout:
 *
 * <pre>
 * header   magic "NODEDNS\x01" (8) | version u16 = 2 | reserved u16 = 0 | savedAtMillis i64 | bodyLength u32
 * body     per block: 1 (u8) | id (u16 length + UTF-8) | fingerprint (u16 length + UTF-8), then per entry:
 *              1 (u8) | name (u8 length + lower-case wire name) | qtype u16 | qclass u16
 *              | flags u8 (1 = DO, 2 = CD) | lifetimeSeconds u32 | ageNanos i64 (at save)
 *              | message (u16 length + bytes)
 *            then 0 (u8) after the block's last entry; 0 (u8) after the last block
 * trailer  CRC32C of the body followed by the header, u32
 * </pre>
 *
 * Version 2 is written as a stream ({@link Writer}): markers instead of counts, because how many
 * entries fit under {@link #MAX_FILE_BYTES} is known only while writing, and the body length is
 * patched into the header at the end, which is why the checksum covers the header after the
 * body. Version 1 files (counts up front, written from a copy of the whole cache in heap) are
 * ignored as any other version.
 *
 * The check order gives each kind of bad file its own answer, none of them an exception the
 * caller has to guess at: a wrong magic is {@code FOREIGN}, an unknown version {@code VERSION}
 * (checked before the checksum, whose place a newer version may move), a file shorter than its
 * header promises {@code TRUNCATED}, a checksum or structure mismatch {@code CORRUPT}. Every length
 * read is checked against what is left, so a bad length cannot make the decoder allocate more
 * than the (bounded) file.
 */
public final class WarmCacheFile {
    static final byte[] MAGIC = {'N', 'O', 'D', 'E', 'D', 'N', 'S', 1};
    public static final int VERSION = 2;
    static final int HEADER_LENGTH = 8 + 2 + 2 + 8 + 4;
    static final int TRAILER_LENGTH = 4;
    /**
     * The largest file read or written: 64 MiB, far above what the byte bounds of the caches of a
     * node's Corefile hold, so a bigger file is not one nodedns wrote.
     */
    public static final int MAX_FILE_BYTES = 64 << 20;
    private static final int FLAG_DO = 1;
    private static final int FLAG_CD = 2;
    /** Marks another block or entry; {@link #END} ends a block's entries, or the blocks. */
    private static final int MORE = 1;
    private static final int END = 0;

    private WarmCacheFile() {
    }

    /** One cache entry as saved: its key, lifetime, age when saved and the message (without OPT). */
    public record Entry(byte[] name, int qtype, int qclass, boolean dnssecOk, boolean checkingDisabled,
                        long lifetimeSeconds, long ageNanos, byte[] message) {}

    /**
     * One block's cache.
     *
     * @param id the block's keys as the Corefile names them (e.g. {@code cluster.local.:53})
     * @param fingerprint what its answers depend on (cache and forward settings); a change skips it
     */
    public record Block(String id, String fingerprint, List<Entry> entries) {}

    /** A whole file: when it was written (wall clock, milliseconds since the epoch) and its blocks. */
    public record Snapshot(long savedAtMillis, List<Block> blocks) {}

    /** Why bytes could not be decoded. */
    public static final class FormatException extends Exception {
        private final WarmCacheCounters.Failure failure;

        FormatException(WarmCacheCounters.Failure failure, String message) {
            super(message);
            this.failure = failure;
        }

        public WarmCacheCounters.Failure failure() {
            return failure;
        }
    }

    /**
     * Streams a file to a channel: header, then each block and entry as given, then the checksum.
     * Nothing but one entry at a time is held in heap (the image runs with a small heap; the caches
     * can be tens of MiB). An entry or block that would take the file past {@link #MAX_FILE_BYTES}
     * is refused and so is everything after it, so a full cache still saves what fits. Not
     * thread-safe; IO failures are thrown as {@link UncheckedIOException} (the callers are lambdas).
     */
    public static final class Writer {
        /** What {@link #finish()} still has to write: end of entries, end of blocks, checksum. */
        private static final int CLOSING_BYTES = 1 + 1 + TRAILER_LENGTH;
        private final FileChannel channel;
        private final long savedAtMillis;
        private final OutputStream raw;
        private final CRC32C crc = new CRC32C();
        private final DataOutputStream body;
        private long bodyBytes;
        private boolean inBlock;
        private boolean full;
        private int entries;

        /** Starts the file at the channel's position 0 (a new, empty file), dated {@code savedAtMillis}. */
        public Writer(FileChannel channel, long savedAtMillis) throws IOException {
            this.channel = channel;
            this.savedAtMillis = savedAtMillis;
            this.raw = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
            // The body length is not known yet: a placeholder, patched by finish().
            raw.write(header(0));
            this.body = new DataOutputStream(new CheckedOutputStream(raw, crc));
        }

        /** Opens a block; false (and nothing written) if it does not fit: the file is full. */
        public boolean beginBlock(String id, String fingerprint) {
            closeBlock();
            byte[] idBytes = utf8(id);
            byte[] fingerprintBytes = utf8(fingerprint);
            if (!fits(1 + 2 + idBytes.length + 2 + fingerprintBytes.length)) {
                return false;
            }
            try {
                body.writeByte(MORE);
                writeBytes16(body, idBytes);
                writeBytes16(body, fingerprintBytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bodyBytes += 1 + 2 + idBytes.length + 2 + fingerprintBytes.length;
            inBlock = true;
            return true;
        }

        /** Adds an entry to the open block; false (and nothing written) if it does not fit. */
        public boolean entry(Entry e) {
            if (!inBlock) {
                throw new IllegalStateException("no block open");
            }
            int size = 1 + 1 + e.name().length + 2 + 2 + 1 + 4 + 8 + 2 + e.message().length;
            if (e.name().length > 255 || e.message().length > 0xFFFF || !fits(size)) {
                return !full;
            }
            try {
                body.writeByte(MORE);
                body.writeByte(e.name().length);
                body.write(e.name());
                body.writeShort(e.qtype());
                body.writeShort(e.qclass());
                body.writeByte((e.dnssecOk() ? FLAG_DO : 0) | (e.checkingDisabled() ? FLAG_CD : 0));
                body.writeInt((int) Math.min(e.lifetimeSeconds(), 0xFFFF_FFFFL));
                body.writeLong(e.ageNanos());
                body.writeShort(e.message().length);
                body.write(e.message());
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            bodyBytes += size;
            entries++;
            return true;
        }

        /** True once something was refused for the bound: the file holds less than the caches. */
        public boolean full() {
            return full;
        }

        /** Entries written so far. */
        public int entries() {
            return entries;
        }

        /**
         * Ends the body, writes the checksum and patches the body length into the header. The
         * caller forces and closes the channel.
         */
        public void finish() throws IOException {
            closeBlock();
            body.writeByte(END);
            bodyBytes++;
            body.flush();
            byte[] header = header((int) bodyBytes);
            crc.update(header, 0, header.length);
            raw.write(ByteBuffer.allocate(TRAILER_LENGTH).putInt((int) crc.getValue()).array());
            raw.flush();
            ByteBuffer patch = ByteBuffer.wrap(header);
            long at = 0;
            while (patch.hasRemaining()) {
                at += channel.write(patch, at);
            }
        }

        private void closeBlock() {
            if (inBlock) {
                try {
                    body.writeByte(END);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                bodyBytes++;
                inBlock = false;
            }
        }

        private boolean fits(long bytes) {
            if (!full && HEADER_LENGTH + bodyBytes + bytes + CLOSING_BYTES <= MAX_FILE_BYTES) {
                return true;
            }
            full = true;
            return false;
        }

        private byte[] header(int bodyLength) {
            return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putShort((short) VERSION).putShort((short) 0)
                    .putLong(savedAtMillis).putInt(bodyLength).array();
        }
    }

    /**
     * The timestamp of a file's header if it is one this version reads, else empty: what a
     * successor polls for (24 bytes, not the whole file).
     */
    public static OptionalLong savedAtMillis(byte[] header) {
        if (header.length < HEADER_LENGTH || !Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return OptionalLong.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(header);
        if (Short.toUnsignedInt(in.getShort(MAGIC.length)) != VERSION) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(in.getLong(MAGIC.length + 4));
    }

    /** Decodes a file's bytes, or says why it cannot. */
    public static Snapshot decode(byte[] file) throws FormatException {
        if (file.length > MAX_FILE_BYTES) {
            throw new FormatException(WarmCacheCounters.Failure.TOO_LARGE, file.length + " bytes");
        }
        if (file.length < MAGIC.length || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new FormatException(WarmCacheCounters.Failure.FOREIGN, "not a nodedns cache file (no magic)");
        }
        if (file.length < HEADER_LENGTH) {
            throw new FormatException(WarmCacheCounters.Failure.TRUNCATED, "header cut short at " + file.length
                    + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(file);
        in.position(MAGIC.length);
        int version = Short.toUnsignedInt(in.getShort());
        if (version != VERSION) {
            throw new FormatException(WarmCacheCounters.Failure.VERSION, "format version " + version
                    + ", this nodedns reads " + VERSION);
        }
        in.getShort();
        long savedAtMillis = in.getLong();
        long bodyLength = Integer.toUnsignedLong(in.getInt());
        long expected = HEADER_LENGTH + bodyLength + TRAILER_LENGTH;
        if (file.length < expected) {
            throw new FormatException(WarmCacheCounters.Failure.TRUNCATED, file.length + " bytes of " + expected);
        }
        if (file.length > expected) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, (file.length - expected)
                    + " bytes after the checksum");
        }
        CRC32C crc = new CRC32C();
        crc.update(file, HEADER_LENGTH, (int) bodyLength);
        crc.update(file, 0, HEADER_LENGTH);
        int stored = ByteBuffer.wrap(file, (int) (HEADER_LENGTH + bodyLength), TRAILER_LENGTH).getInt();
        if (stored != (int) crc.getValue()) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "CRC32C mismatch");
        }
        ByteBuffer body = ByteBuffer.wrap(file, HEADER_LENGTH, (int) bodyLength).slice();
        try {
            List<Block> blocks = new ArrayList<>();
            while (marker(body)) {
                String id = readString(body);
                String fingerprint = readString(body);
                List<Entry> entries = new ArrayList<>();
                while (marker(body)) {
                    byte[] name = bytes(body, Byte.toUnsignedInt(body.get()));
                    int qtype = Short.toUnsignedInt(body.getShort());
                    int qclass = Short.toUnsignedInt(body.getShort());
                    int flags = Byte.toUnsignedInt(body.get());
                    long lifetime = Integer.toUnsignedLong(body.getInt());
                    long age = body.getLong();
                    byte[] message = bytes(body, Short.toUnsignedInt(body.getShort()));
                    if (age < 0) {
                        throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "negative age");
                    }
                    entries.add(new Entry(name, qtype, qclass, (flags & FLAG_DO) != 0, (flags & FLAG_CD) != 0,
                            lifetime, age, message));
                }
                blocks.add(new Block(id, fingerprint, entries));
            }
            if (body.hasRemaining()) {
                throw new FormatException(WarmCacheCounters.Failure.CORRUPT, body.remaining()
                        + " bytes after the last block");
            }
            return new Snapshot(savedAtMillis, blocks);
        } catch (BufferUnderflowException e) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "a length points past the end");
        }
    }

    /** Reads a {@link #MORE} or {@link #END} marker: true if another item follows. */
    private static boolean marker(ByteBuffer in) throws FormatException {
        int m = Byte.toUnsignedInt(in.get());
        if (m != MORE && m != END) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "marker " + m + " is neither 0 nor 1");
        }
        return m == MORE;
    }

    private static byte[] bytes(ByteBuffer in, int length) {
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    private static byte[] utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string too long: " + bytes.length);
        }
        return bytes;
    }

    private static void writeBytes16(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static String readString(ByteBuffer in) {
        return new String(bytes(in, Short.toUnsignedInt(in.getShort())), StandardCharsets.UTF_8);
    }
}
