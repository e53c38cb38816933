package io.nodedns.wire;

/** What the server does with a received message after {@link ParsedQuery#parse}. */
public enum QueryVerdict {
    /** A well-formed standard query: look it up and answer it. */
    ANSWER,
    /** Shorter than a header: nothing can be echoed, so nothing is sent (RFC 1035 §4.1.1). */
    DROP_SHORT,
    /** QR=1: a response sent to us; answering it could start a loop, so it is dropped. */
    DROP_RESPONSE,
    /** Header readable, but QDCOUNT != 1 or the question or additional section is malformed. */
    FORMERR,
    /** An opcode other than QUERY, or a zone-transfer / mailbox QTYPE a cache cannot serve. */
    NOTIMP,
    /** EDNS version above 0, RFC 6891 §6.1.3. */
    BADVERS
}
