package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.collection.IntObjectHashMap;
import io.nodedns.wire.DnsWire;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One socket to one upstream carrying many queries at once, each under its own ID: a TCP
 * connection (RFC 7766 §6.2.1.1 pipelining, out-of-order answers) or a connected UDP socket.
 * Holds the in-flight table (upstream ID to {@link Attempt}), per-attempt timeouts, the idle
 * timer ({@code expire}) and draining for rotation. Subclasses add connecting and framing.
 *
 * <p>Threading: every method runs on {@link #loop}, the event loop the socket is registered
 * on, so no state here is shared or locked.
 */
abstract class UpstreamChannel {
    private static final Logger LOG = Logger.getLogger(UpstreamChannel.class.getName());
    /** Queries written before a flush is forced ({@link #flushConsolidation}). */
    static final int QUERIES_PER_FLUSH = 256;

    private enum State { CONNECTING, OPEN, CLOSED }

    final UpstreamChannelPool pool;
    private final IntObjectHashMap<Attempt> inFlight = new IntObjectHashMap<>();
    /** Attempts accepted while connecting, in order; written once connected. */
    private final ArrayDeque<Attempt> unsent = new ArrayDeque<>();
    private final long openedAtNanos;
    private State state = State.CONNECTING;
    private boolean countedOpen;
    private boolean draining;
    private long queriesAccepted;
    private long lastActiveNanos;
    private ScheduledFuture<?> idleTimer;
    private AttemptFailure closeKind;
    private String closeReason;
    private Channel channel;

    UpstreamChannel(UpstreamChannelPool pool) {
        this.pool = pool;
        this.openedAtNanos = pool.nanoTime();
        this.lastActiveNanos = openedAtNanos;
    }

    /**
     * The first handler of every upstream socket: {@link #send} writes each query with a flush, and
     * this turns the flushes of one event-loop turn into one (a write or sendmmsg per batch of
     * client queries read, instead of a system call per query; on loopback each call also runs the
     * upstream's receive path). At most {@link #QUERIES_PER_FLUSH} queries wait for a flush.
     */
    static FlushConsolidationHandler flushConsolidation() {
        return new FlushConsolidationHandler(QUERIES_PER_FLUSH, true);
    }

    /** Starts the asynchronous connect; the returned future's channel is this one's socket. */
    abstract ChannelFuture connect();

    /**
     * The bytes to write for {@code query} under upstream ID {@code id}; the caller (Netty's
     * write) takes ownership of the result. {@code query} is only read.
     */
    abstract ByteBuf encode(ByteBufAllocator alloc, ByteBuf query, int id);

    /** Whether this channel should stop taking new queries (rotation). */
    abstract boolean dueForRotation(long nowNanos);

    final void open() {
        ChannelFuture future = connect();
        channel = future.channel();
        future.addListener((ChannelFutureListener) this::onConnectDone);
    }

    private void onConnectDone(ChannelFuture future) {
        if (state == State.CLOSED) {
            future.channel().close();
            return;
        }
        if (!future.isSuccess()) {
            pool.onConnectFailed(future.cause());
            close(AttemptFailure.CONNECT, "connect failed: " + describe(future.cause()));
            return;
        }
        state = State.OPEN;
        countedOpen = true;
        pool.stats().connectionsOpened.increment();
        pool.onConnected();
        Attempt attempt;
        while ((attempt = unsent.poll()) != null) {
            if (inFlight.get(attempt.upstreamId()) == attempt) {
                channel.write(encode(channel.alloc(), attempt.query, attempt.upstreamId()), channel.voidPromise());
            }
        }
        channel.flush();
    }

    final int load() {
        return inFlight.size();
    }

    final boolean hasCapacity() {
        return inFlight.size() < pool.tuning().maxInFlightPerChannel();
    }

    final long queriesAccepted() {
        return queriesAccepted;
    }

    final long ageNanos(long nowNanos) {
        return nowNanos - openedAtNanos;
    }

    /**
     * Takes the attempt: allocates its upstream ID, starts its timeout and writes it (or queues
     * it until connected). A closed channel fails it at once with the reason it closed.
     */
    final void send(Attempt attempt) {
        if (state == State.CLOSED) {
            attempt.fail(closeKind, closeReason);
            return;
        }
        int id = pool.ids().allocate(inFlight);
        ScheduledFuture<?> timer = pool.loop().schedule(
                () -> onTimeout(attempt), attempt.timeoutNanos, TimeUnit.NANOSECONDS);
        attempt.assign(this, id, timer);
        inFlight.put(id, attempt);
        pool.stats().inFlight.increment();
        queriesAccepted++;
        lastActiveNanos = pool.nanoTime();
        if (state == State.OPEN) {
            channel.writeAndFlush(encode(channel.alloc(), attempt.query, id), channel.voidPromise());
        } else {
            unsent.add(attempt);
        }
    }

    /**
     * A message from the upstream; takes ownership. Delivered to the attempt with its ID if it
     * also answers that attempt's question; anything else is dropped and the attempt keeps
     * waiting (RFC 5452 §9.1), so a stray or spoofed answer cannot fail a query.
     */
    final void onMessage(ByteBuf message) {
        Attempt attempt = null;
        if (state != State.CLOSED && message.readableBytes() >= DnsWire.HEADER_LENGTH) {
            attempt = inFlight.get(DnsMessages.id(message));
        }
        if (attempt == null || !DnsMessages.answers(message, attempt.query, attempt.questionLength)) {
            if (LOG.isLoggable(Level.FINE)) {
                LOG.fine("dropping unmatched " + message.readableBytes() + "-byte message from "
                        + pool.address() + (attempt == null ? " (unknown ID)" : " (question differs)"));
            }
            message.release();
            return;
        }
        remove(attempt);
        afterRemoval();
        attempt.succeed(message);
    }

    private void onTimeout(Attempt attempt) {
        if (inFlight.get(attempt.upstreamId()) != attempt) {
            return;
        }
        remove(attempt);
        pool.stats().timeouts.increment();
        afterRemoval();
        attempt.fail(AttemptFailure.TIMEOUT,
                "no response within " + TimeUnit.NANOSECONDS.toMillis(attempt.timeoutNanos) + " ms");
    }

    /** Forgets an attempt its forward no longer needs; see {@link Attempt#cancel()}. */
    final void cancel(Attempt attempt) {
        if (inFlight.get(attempt.upstreamId()) == attempt) {
            remove(attempt);
            afterRemoval();
        }
    }

    private void remove(Attempt attempt) {
        inFlight.remove(attempt.upstreamId());
        pool.stats().inFlight.decrement();
    }

    private void afterRemoval() {
        if (state == State.CLOSED || !inFlight.isEmpty()) {
            return;
        }
        if (draining) {
            close(AttemptFailure.LOCAL, "rotated");
        } else if (idleTimer == null) {
            idleTimer = pool.loop().schedule(this::checkIdle, pool.expireNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** CoreDNS {@code expire}: close a connection nobody has used for that long. */
    private void checkIdle() {
        idleTimer = null;
        if (state == State.CLOSED || !inFlight.isEmpty()) {
            return;
        }
        long idleNanos = pool.nanoTime() - lastActiveNanos;
        long remaining = pool.expireNanos() - idleNanos;
        if (remaining <= 0) {
            close(AttemptFailure.LOCAL, "idle for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms");
        } else {
            idleTimer = pool.loop().schedule(this::checkIdle, remaining, TimeUnit.NANOSECONDS);
        }
    }

    /** Stops taking queries; closes once the queries in flight are answered or time out. */
    final void drain() {
        draining = true;
        if (inFlight.isEmpty()) {
            close(AttemptFailure.LOCAL, "rotated");
        }
    }

    /**
     * Closes the socket and fails every attempt in flight with {@code kind}. The pool forgets
     * this channel first, so a listener that retries at once gets another channel. Idempotent.
     */
    final void close(AttemptFailure kind, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeKind = kind;
        closeReason = reason;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        pool.onChannelClosed(this);
        if (countedOpen) {
            pool.stats().connectionsClosed.increment();
        }
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("closing " + getClass().getSimpleName() + " to " + pool.address() + ": " + reason);
        }
        if (channel != null) {
            channel.close();
        }
        unsent.clear();
        if (!inFlight.isEmpty()) {
            Attempt[] orphans = inFlight.values().toArray(new Attempt[0]);
            inFlight.clear();
            pool.stats().inFlight.add(-orphans.length);
            for (Attempt orphan : orphans) {
                orphan.fail(kind, reason);
            }
        }
    }

    static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : cause.getClass().getSimpleName() + ": " + message;
    }
}
