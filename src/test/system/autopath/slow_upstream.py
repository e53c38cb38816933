"""slow_upstream.py LISTEN_IP TARGET_IP DELAY_MS - a UDP DNS relay that holds every query
DELAY_MS before passing it to TARGET_IP:53 and the answer back: an upstream that is that much
farther away (this kernel has no netem). One thread per query, so queries overlap as they
would on a real link; a query the target does not answer within 2 s is dropped."""
import socket
import sys
import threading
import time

listen_ip, target_ip, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]) / 1000.0
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind((listen_ip, 53))


def relay(query, client):
    time.sleep(delay)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
        upstream.settimeout(2)
        upstream.sendto(query, (target_ip, 53))
        try:
            answer, _ = upstream.recvfrom(65535)
        except socket.timeout:
            return
    server.sendto(answer, client)


print("relaying %s:53 -> %s:53 with %d ms" % (listen_ip, target_ip, delay * 1000), flush=True)
while True:
    data, sender = server.recvfrom(65535)
    threading.Thread(target=relay, args=(data, sender), daemon=True).start()
