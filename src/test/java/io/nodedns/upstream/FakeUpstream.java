package io.nodedns.upstream;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A DNS server on 127.0.0.1 for tests, UDP and TCP on one ephemeral port, written with plain
 * blocking java.net (independent of the Netty code under test). It answers A queries with one A
 * record ({@link #answerAddress()}, TTL 30) and anything else with an empty NOERROR, and has
 * switchable faults. Every counter and fault is thread-safe.
 */
public final class FakeUpstream implements AutoCloseable {
    private final InetAddress answerAddress;
    private final ServerSocket tcpServer;
    private final DatagramSocket udpSocket;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, daemon("fake-dns-timer"));
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;

    // Faults.
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean dropAll;
    private volatile boolean truncateUdp;
    private volatile boolean wrongIdFirst;
    private volatile boolean rejectEdns;
    private volatile int reverseBatch;
    private final AtomicInteger tcpConnectionsToClose = new AtomicInteger();

    // Observations.
    private final AtomicInteger udpQueries = new AtomicInteger();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private final AtomicInteger tcpConnectionsAccepted = new AtomicInteger();
    private final AtomicInteger tcpConnectionsOpen = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger responsesSent = new AtomicInteger();
    private final List<AtomicInteger> queriesPerConnection = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Message> received = new ConcurrentLinkedQueue<>();

    private FakeUpstream(InetAddress answerAddress, ServerSocket tcpServer, DatagramSocket udpSocket) {
        this.answerAddress = answerAddress;
        this.tcpServer = tcpServer;
        this.udpSocket = udpSocket;
        Thread tcpAccept = daemon("fake-dns-accept").newThread(this::acceptLoop);
        Thread udpLoop = daemon("fake-dns-udp").newThread(this::udpLoop);
        tcpAccept.start();
        udpLoop.start();
    }

    /** Starts a server answering A queries with {@code answer} (an IPv4 literal). */
    public static FakeUpstream start(String answer) throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            ServerSocket tcp = new ServerSocket(0, 256, loopback);
            try {
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, tcp.getLocalPort()));
                return new FakeUpstream(InetAddress.getByName(answer), tcp, udp);
            } catch (BindException portTakenForUdp) {
                tcp.close();
                last = portTakenForUdp;
            }
        }
        throw last;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(tcpServer.getInetAddress(), tcpServer.getLocalPort());
    }

    public InetAddress answerAddress() {
        return answerAddress;
    }

    // ---- faults ----

    /** Delays every answer by {@code value}. */
    public void delay(Duration value) {
        delay = value;
    }

    /** Answers nothing at all while set. */
    public void dropAll(boolean value) {
        dropAll = value;
    }

    /** Answers UDP queries with TC=1 and no records. */
    public void truncateUdp(boolean value) {
        truncateUdp = value;
    }

    /** Answers queries that carry an OPT record with FORMERR and no OPT, as a server without EDNS does. */
    public void rejectEdns(boolean value) {
        rejectEdns = value;
    }

    /** Sends each answer first under a wrong ID, then under the right one. */
    public void wrongIdFirst(boolean value) {
        wrongIdFirst = value;
    }

    /**
     * TCP: holds answers until {@code size} queries arrived on the connection (or 100ms passed
     * without another), then sends them newest first.
     */
    public void answerInReverseBatches(int size) {
        reverseBatch = size;
    }

    /** The next {@code count} TCP connections that receive a query are closed without answering it. */
    public void closeNextTcpConnections(int count) {
        tcpConnectionsToClose.set(count);
    }

    // ---- observations ----

    public int udpQueries() {
        return udpQueries.get();
    }

    public int tcpQueries() {
        return tcpQueries.get();
    }

    public int queries() {
        return udpQueries.get() + tcpQueries.get();
    }

    public int tcpConnectionsAccepted() {
        return tcpConnectionsAccepted.get();
    }

    public int tcpConnectionsOpen() {
        return tcpConnectionsOpen.get();
    }

    /** Most queries received and not yet answered (or dropped) at any one time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    public int responsesSent() {
        return responsesSent.get();
    }

    /** Queries received on each accepted TCP connection, in accept order. */
    List<Integer> queriesPerConnection() {
        List<Integer> counts = new ArrayList<>();
        for (AtomicInteger count : queriesPerConnection) {
            counts.add(count.get());
        }
        return counts;
    }

    /** Every query received, in arrival order. */
    public List<Message> received() {
        return new ArrayList<>(received);
    }

    // ---- serving ----

    private void acceptLoop() {
        while (running) {
            try {
                Socket client = tcpServer.accept();
                tcpConnectionsAccepted.incrementAndGet();
                tcpConnectionsOpen.incrementAndGet();
                clients.add(client);
                AtomicInteger count = new AtomicInteger();
                queriesPerConnection.add(count);
                daemon("fake-dns-conn").newThread(() -> serveConnection(client, count)).start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serveConnection(Socket client, AtomicInteger count) {
        TcpReplies replies = new TcpReplies(client);
        try (client) {
            DataInputStream in = new DataInputStream(client.getInputStream());
            while (running) {
                int length = in.readUnsignedShort();
                byte[] wire = new byte[length];
                in.readFully(wire);
                count.incrementAndGet();
                tcpQueries.incrementAndGet();
                if (tcpConnectionsToClose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    return;
                }
                Message query = record(wire);
                if (query == null) {
                    continue;
                }
                respond(query, false, replies::send);
            }
        } catch (EOFException | java.net.SocketException closed) {
            // client went away
        } catch (IOException e) {
            // test over
        } finally {
            clients.remove(client);
            tcpConnectionsOpen.decrementAndGet();
        }
    }

    private void udpLoop() {
        byte[] buffer = new byte[65535];
        while (running) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udpSocket.receive(packet);
                udpQueries.incrementAndGet();
                byte[] wire = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
                SocketAddress sender = packet.getSocketAddress();
                Message query = record(wire);
                if (query == null) {
                    continue;
                }
                respond(query, true, bytes -> {
                    try {
                        udpSocket.send(new DatagramPacket(bytes, bytes.length, sender));
                    } catch (IOException closed) {
                        // test over
                    }
                });
            } catch (IOException closed) {
                return;
            }
        }
    }

    private Message record(byte[] wire) {
        try {
            Message query = new Message(wire);
            received.add(query);
            return query;
        } catch (IOException malformed) {
            return null;
        }
    }

    private interface Sender {
        void send(byte[] response);
    }

    private void respond(Message query, boolean overUdp, Sender sender) {
        inFlight.updateAndGet(n -> {
            maxInFlight.accumulateAndGet(n + 1, Math::max);
            return n + 1;
        });
        if (dropAll) {
            inFlight.decrementAndGet();
            return;
        }
        Runnable answer = () -> {
            Message response = answer(query, overUdp && truncateUdp);
            if (wrongIdFirst) {
                Message wrong = answer(query, overUdp && truncateUdp);
                wrong.getHeader().setID((query.getHeader().getID() + 1) & 0xFFFF);
                sender.send(wrong.toWire());
                responsesSent.incrementAndGet();
            }
            inFlight.decrementAndGet();
            sender.send(response.toWire());
            responsesSent.incrementAndGet();
        };
        Duration wait = delay;
        if (wait.isZero()) {
            answer.run();
        } else {
            scheduler.schedule(answer, wait.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private Message answer(Message query, boolean truncated) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        response.addRecord(question, Section.QUESTION);
        if (rejectEdns && query.getOPT() != null) {
            response.getHeader().setRcode(org.xbill.DNS.Rcode.FORMERR);
        } else if (truncated) {
            response.getHeader().setFlag(Flags.TC);
        } else if (question.getType() == Type.A) {
            response.addRecord(new ARecord(question.getName(), DClass.IN, 30, answerAddress), Section.ANSWER);
        }
        return response;
    }

    /** Writes answers to one connection, optionally holding them to send in reverse order. */
    private final class TcpReplies {
        private final Socket client;
        private final List<byte[]> held = new ArrayList<>();
        private java.util.concurrent.ScheduledFuture<?> flushTimer;

        TcpReplies(Socket client) {
            this.client = client;
        }

        synchronized void send(byte[] response) {
            int batch = reverseBatch;
            if (batch <= 1) {
                write(response);
                return;
            }
            held.add(response);
            if (flushTimer != null) {
                flushTimer.cancel(false);
            }
            if (held.size() >= batch) {
                flush();
            } else {
                flushTimer = scheduler.schedule(this::flush, 100, TimeUnit.MILLISECONDS);
            }
        }

        synchronized void flush() {
            for (int i = held.size() - 1; i >= 0; i--) {
                write(held.get(i));
            }
            held.clear();
        }

        private void write(byte[] response) {
            try {
                DataOutputStream out = new DataOutputStream(client.getOutputStream());
                out.writeShort(response.length);
                out.write(response);
                out.flush();
            } catch (IOException closed) {
                // the client or the test closed the connection
            }
        }
    }

    /** Stops answering and closes every socket, like a crashed server. */
    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
        try {
            tcpServer.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        udpSocket.close();
        for (Socket client : clients) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
