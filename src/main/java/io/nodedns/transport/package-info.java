/**
 * The event loops and channel classes: native epoll (SO_REUSEPORT, recvmmsg) where available, NIO
 * with a warning otherwise. One {@link io.nodedns.transport.NettyTransport} is shared by listeners and
 * upstream connections.
 */
package io.nodedns.transport;
