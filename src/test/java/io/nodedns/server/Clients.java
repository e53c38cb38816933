package io.nodedns.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** Plain-socket DNS clients for tests: they send exactly the bytes they are given. */
final class Clients {
    private Clients() {}

    static Message query(String name, int type, int id) throws IOException {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(id);
        return m;
    }

    static Message ednsQuery(String name, int type, int id, int udpSize) throws IOException {
        Message m = query(name, type, id);
        m.addRecord(new OPTRecord(udpSize, 0, 0), Section.ADDITIONAL);
        return m;
    }

    /** Sends one datagram and returns the answer, or null if none came within {@code timeoutMillis}. */
    static byte[] udp(InetSocketAddress server, byte[] query, int timeoutMillis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new DatagramPacket(query, query.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return java.util.Arrays.copyOf(buf, p.getLength());
        }
    }

    static Message udp(InetSocketAddress server, Message query) throws IOException {
        byte[] answer = udp(server, query.toWire(), 3000);
        if (answer == null) {
            throw new IOException("no UDP answer to " + query.getQuestion());
        }
        return new Message(answer);
    }

    static Message tcp(InetSocketAddress server, Message query) throws IOException {
        try (Socket s = tcpConnect(server)) {
            writeFrame(s.getOutputStream(), query.toWire());
            return new Message(readFrame(new DataInputStream(s.getInputStream())));
        }
    }

    static Socket tcpConnect(InetSocketAddress server) throws IOException {
        Socket s = new Socket();
        s.connect(server, 2000);
        s.setSoTimeout(5000);
        return s;
    }

    static void writeFrame(OutputStream out, byte[] msg) throws IOException {
        byte[] framed = new byte[msg.length + 2];
        framed[0] = (byte) (msg.length >>> 8);
        framed[1] = (byte) msg.length;
        System.arraycopy(msg, 0, framed, 2, msg.length);
        out.write(framed);
        out.flush();
    }

    /** Reads one length-prefixed message; null at a clean end of stream. */
    static byte[] readFrame(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readUnsignedShort();
        } catch (EOFException e) {
            return null;
        }
        byte[] msg = new byte[length];
        in.readFully(msg);
        return msg;
    }
}
