/* gai.c - getaddrinfo(NAME) as an application calls it (AF_UNSPEC: A and AAAA), built with
 * musl-gcc -static by autopath.sh; prints each distinct address once, sorted by the caller. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    struct addrinfo hints, *res, *p;
    char text[INET6_ADDRSTRLEN];
    int rc;
    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(argv[1], NULL, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo %s: %s\n", argv[1], gai_strerror(rc));
        return 1;
    }
    for (p = res; p != NULL; p = p->ai_next) {
        void *addr = p->ai_family == AF_INET ? (void *) &((struct sockaddr_in *) p->ai_addr)->sin_addr
                                             : (void *) &((struct sockaddr_in6 *) p->ai_addr)->sin6_addr;
        if (inet_ntop(p->ai_family, addr, text, sizeof text) != NULL) {
            printf("%s\n", text);
        }
    }
    freeaddrinfo(res);
    return 0;
}
