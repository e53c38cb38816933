package io.nodedns.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary format of a warm restart file ({@code -cache-dir}): the entries of each block's
 * cache with their age and wire bytes, under a wall-clock timestamp. Big-endian throughout:
 *
 * <pre>
 * header   magic "NODEDNS\x01" (8) | version u16 = 1 | reserved u16 = 0 | savedAtMillis i64 | bodyLength u32
 * body     blockCount u32, then per block:
 *            id (u16 length + UTF-8) | fingerprint (u16 length + UTF-8) | entryCount u32, then per entry:
 *              name (u8 length + lower-case wire name) | qtype u16 | qclass u16 | flags u8 (1 = DO, 2 = CD)
 *              | lifetimeSeconds u32 | ageNanos i64 (at save) | message (u16 length + bytes)
 * trailer  CRC32C of header and body, u32
 * </pre>
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
    public static final int VERSION = 1;
    static final int HEADER_LENGTH = 8 + 2 + 2 + 8 + 4;
    static final int TRAILER_LENGTH = 4;
    /**
     * The largest file read or written: 64 MiB, far above what the byte bounds of the caches of a
     * node's Corefile hold, so a bigger file is not one nodedns wrote.
     */
    public static final int MAX_FILE_BYTES = 64 << 20;
    private static final int FLAG_DO = 1;
    private static final int FLAG_CD = 2;

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

    /** The file's bytes; throws {@link IllegalArgumentException} past {@link #MAX_FILE_BYTES}. */
    public static byte[] encode(Snapshot snapshot) {
        ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
        try (DataOutputStream body = new DataOutputStream(bodyBytes)) {
            body.writeInt(snapshot.blocks().size());
            for (Block block : snapshot.blocks()) {
                writeString(body, block.id());
                writeString(body, block.fingerprint());
                body.writeInt(block.entries().size());
                for (Entry e : block.entries()) {
                    body.writeByte(e.name().length);
                    body.write(e.name());
                    body.writeShort(e.qtype());
                    body.writeShort(e.qclass());
                    body.writeByte((e.dnssecOk() ? FLAG_DO : 0) | (e.checkingDisabled() ? FLAG_CD : 0));
                    body.writeInt((int) Math.min(e.lifetimeSeconds(), 0xFFFF_FFFFL));
                    body.writeLong(e.ageNanos());
                    body.writeShort(e.message().length);
                    body.write(e.message());
                }
                if (bodyBytes.size() > MAX_FILE_BYTES) {
                    throw new IllegalArgumentException("cache snapshot exceeds " + MAX_FILE_BYTES + " bytes");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        int bodyLength = bodyBytes.size();
        if (bodyLength > MAX_FILE_BYTES - HEADER_LENGTH - TRAILER_LENGTH) {
            throw new IllegalArgumentException("cache snapshot exceeds " + MAX_FILE_BYTES + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER_LENGTH + bodyLength + TRAILER_LENGTH);
        out.put(MAGIC).putShort((short) VERSION).putShort((short) 0).putLong(snapshot.savedAtMillis())
                .putInt(bodyLength);
        out.put(bodyBytes.toByteArray());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
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
        crc.update(file, 0, (int) (HEADER_LENGTH + bodyLength));
        int stored = ByteBuffer.wrap(file, (int) (HEADER_LENGTH + bodyLength), TRAILER_LENGTH).getInt();
        if (stored != (int) crc.getValue()) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "CRC32C mismatch");
        }
        ByteBuffer body = ByteBuffer.wrap(file, HEADER_LENGTH, (int) bodyLength).slice();
        try {
            List<Block> blocks = new ArrayList<>();
            int blockCount = count(body, 4 + 2 + 2 + 4);
            for (int b = 0; b < blockCount; b++) {
                String id = readString(body);
                String fingerprint = readString(body);
                // The smallest entry: a root name (1 + 1), 2 + 2 + 1 + 4 + 8, an empty message (2).
                int entryCount = count(body, 21);
                List<Entry> entries = new ArrayList<>(entryCount);
                for (int i = 0; i < entryCount; i++) {
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

    /** A count of items of at least {@code minItemBytes} each, checked against what is left. */
    private static int count(ByteBuffer in, int minItemBytes) throws FormatException {
        long n = Integer.toUnsignedLong(in.getInt());
        if (n * minItemBytes > in.remaining()) {
            throw new FormatException(WarmCacheCounters.Failure.CORRUPT, "a count of " + n + " does not fit");
        }
        return (int) n;
    }

    private static byte[] bytes(ByteBuffer in, int length) {
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string too long: " + bytes.length);
        }
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static String readString(ByteBuffer in) {
        return new String(bytes(in, Short.toUnsignedInt(in.getShort())), StandardCharsets.UTF_8);
    }
}
