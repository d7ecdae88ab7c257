// SPDX-License-Identifier: GPL-2.0
/*
 * smcload: AF_SMC load generator with end-to-end data checks.
 *
 *   smcload server [-a ADDR] [-p PORT] [-4] [--tcp] [--duration SEC]
 *   smcload client -a ADDR [-p PORT] [-c CONNS] [-n ROUNDS] [-s BYTES] ...
 *
 * Every message is a 32-byte header followed by a pseudo-random payload
 * derived from (connection id, round).  The server hashes what it got,
 * answers with the hash and a pseudo-random reply of the requested size,
 * and the client checks both directions.  A JSON line on stdout reports
 * the run; see README.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ABI numbers, defined here so that old libc headers do not matter */
#ifndef AF_SMC
#define AF_SMC 43
#endif
#define SMCPROTO_SMC	0	/* SMC over IPv4 */
#define SMCPROTO_SMC6	1	/* SMC over IPv6 */

/* smc_diag (include/uapi/linux/smc_diag.h): same layout on 5.10 .. 6.12 */
#define SMC_DIAG_MODE_SMCR		0
#define SMC_DIAG_MODE_FALLBACK_TCP	1
#define SMC_DIAG_MODE_SMCD		2
#define SMC_DIAG_FALLBACK		5	/* attr: reason, peer diag */

struct smcl_diag_req {
	uint8_t diag_family;
	uint8_t pad[2];
	uint8_t diag_ext;
	struct inet_diag_sockid id;
};

struct smcl_diag_msg {
	uint8_t diag_family;
	uint8_t diag_state;
	uint8_t diag_mode;
	uint8_t diag_shutdown;
	struct inet_diag_sockid id;
	uint32_t diag_uid;
	uint64_t diag_inode;
};

#define MSG_MAGIC	0x534d434cU	/* "SMCL": client request */
#define REPLY_MAGIC	0x534d4352U	/* "SMCR": server reply */
#define HDR_LEN		32
#define REPLY_LEN	24
#define CHUNK		65536
#define MAX_REASONS	16

enum mode { MODE_TCP, MODE_SMCR, MODE_SMCD, MODE_FALLBACK, MODE_UNKNOWN };

struct stats {
	uint64_t connections;		/* established */
	uint64_t messages;		/* completed and checked */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t checksum_errors;
	uint64_t aborted;		/* client: aborts we did on purpose */
	uint64_t peer_aborted;		/* server: peer went away mid-msg */
	uint64_t failed_connects;
	uint64_t io_errors;		/* unexpected errors, timeouts */
	uint64_t protocol_errors;	/* bad magic or lengths */
	uint64_t corrupted;		/* server: --corrupt injections */
	uint64_t smc;
	uint64_t smcd;
	uint64_t fallback;
	uint64_t unknown;
	uint32_t reason_code[MAX_REASONS];
	uint64_t reason_count[MAX_REASONS];
	uint64_t reason_other;
};

static struct {
	bool server;
	bool tcp;
	bool ipv4_only;
	bool reuse;
	bool async_connect;
	bool no_diag;
	const char *addr;
	unsigned int port;
	unsigned int conns;
	unsigned long rounds;
	bool rounds_set;
	uint64_t size;
	uint64_t rsize;
	bool rsize_set;
	unsigned int abort_pct;
	unsigned int duration;
	unsigned int timeout;
	unsigned int wait;
	double max_fail_pct;
	const char *expect;
	unsigned int corrupt;
	bool verbose;
} opt = {
	.port = 7361,
	.conns = 8,
	.rounds = 10,
	.size = 65536,
	.timeout = 30,
	.expect = "any",
};

static volatile sig_atomic_t stop;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats total;
static struct sockaddr_storage peer;
static socklen_t peer_len;
static double deadline;	/* CLOCK_MONOTONIC seconds, 0 = none */
static int diag_broken;	/* smc_diag not usable: stop asking */
static bool diag_used;
static unsigned int active_conns;
static uint64_t corrupt_counter;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "smcload: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "smcload: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool expired(void)
{
	return stop || (deadline > 0 && now() >= deadline);
}

/* splitmix64 step: the seed mixer and payload generator */
static uint64_t mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t seed_of(uint32_t conn, uint32_t round, uint32_t dir)
{
	uint64_t s = ((uint64_t)conn << 32 | round) ^ ((uint64_t)dir << 62);

	return mix64(&s);
}

/* payload stream: 8 bytes per generator step, little endian */
struct stream {
	uint64_t state;
	uint64_t word;
	unsigned int left;	/* bytes of word not yet used */
};

static void stream_init(struct stream *st, uint64_t seed)
{
	st->state = seed;
	st->left = 0;
}

static void stream_fill(struct stream *st, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!st->left) {
			st->word = mix64(&st->state);
			st->left = 8;
		}
		buf[i] = st->word & 0xff;
		st->word >>= 8;
		st->left--;
	}
}

/* 64-bit FNV-1a */
#define FNV_INIT	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/*
 * I/O on non-blocking sockets with poll, in slices so that a stop request
 * or the per-operation timeout is noticed.  Return 0 on success, 1 on EOF
 * before len bytes (reads only), -errno on error, -ETIMEDOUT on timeout.
 */
static int wait_fd(int fd, short events, double end)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	for (;;) {
		if (stop)
			return -EINTR;
		if (now() >= end)
			return -ETIMEDOUT;
		rc = poll(&p, 1, 250);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	double end = now() + opt.timeout;
	ssize_t n;
	int rc;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLOUT, end);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_all(int fd, unsigned char *buf, size_t len)
{
	double end = now() + opt.timeout;
	ssize_t n;
	int rc;

	while (len) {
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLIN, end);
		if (rc)
			return rc;
	}
	return 0;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * SMC or fallback?  There is no getsockopt for it (SOL_SMC only has
 * SMC_LIMIT_HS, 6.0+), so dump the AF_SMC sockets with smc_diag over
 * NETLINK_SOCK_DIAG and find ours by inode.  smc_diag_msg.diag_mode and
 * the SMC_DIAG_FALLBACK attribute (reason code) are there on 5.10, 6.1
 * and 6.12 alike.
 */
static __thread int diag_fd = -1;
static __thread unsigned char *diag_buf;

static void diag_release(void)
{
	if (diag_fd >= 0)
		close(diag_fd);
	diag_fd = -1;
	free(diag_buf);
	diag_buf = NULL;
}

static enum mode smc_mode(int fd, uint32_t *reason)
{
	struct {
		struct nlmsghdr nlh;
		struct smcl_diag_req req;
	} msg;
	const size_t bufsz = 65536;
	enum mode mode = MODE_UNKNOWN;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct stat st;
	bool done = false;
	ssize_t n;

	*reason = 0;
	if (diag_broken || fstat(fd, &st))
		return MODE_UNKNOWN;
	if (!diag_buf) {
		diag_buf = malloc(bufsz);
		if (!diag_buf)
			return MODE_UNKNOWN;
	}
	diag_used = true;
	if (diag_fd < 0) {
		diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				 NETLINK_SOCK_DIAG);
		if (diag_fd < 0) {
			diag_broken = errno;
			return MODE_UNKNOWN;
		}
	}
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = 1;
	msg.req.diag_family = AF_SMC;
	if (sendto(diag_fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		diag_broken = errno;
		return MODE_UNKNOWN;
	}
	while (!done) {
		struct nlmsghdr *h;

		n = recv(diag_fd, diag_buf, bufsz, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* socket state unknown now: start afresh next time */
			close(diag_fd);
			diag_fd = -1;
			return MODE_UNKNOWN;
		}
		for (h = (struct nlmsghdr *)diag_buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct smcl_diag_msg *d;
			uint32_t off;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				/* e.g. ENOENT: no smc_diag module */
				diag_broken = e->error ? -e->error : EPROTO;
				done = true;
				break;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*d)))
				continue;
			d = NLMSG_DATA(h);
			if (d->diag_inode != (uint64_t)st.st_ino)
				continue;
			switch (d->diag_mode) {
			case SMC_DIAG_MODE_SMCR:
				mode = MODE_SMCR;
				break;
			case SMC_DIAG_MODE_SMCD:
				mode = MODE_SMCD;
				break;
			case SMC_DIAG_MODE_FALLBACK_TCP:
				mode = MODE_FALLBACK;
				break;
			}
			off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*d)));
			while (off + NLA_HDRLEN <= h->nlmsg_len) {
				const struct nlattr *a;

				a = (const struct nlattr *)((char *)h + off);
				if (a->nla_len < NLA_HDRLEN ||
				    off + a->nla_len > h->nlmsg_len)
					break;
				if ((a->nla_type & NLA_TYPE_MASK) ==
				    SMC_DIAG_FALLBACK &&
				    a->nla_len >= NLA_HDRLEN + 4)
					memcpy(reason, (char *)a + NLA_HDRLEN,
					       4);
				off += NLA_ALIGN(a->nla_len);
			}
		}
	}
	return mode;
}

static void count_mode(struct stats *s, enum mode m, uint32_t reason)
{
	int i;

	switch (m) {
	case MODE_TCP:
		return;
	case MODE_SMCR:
		s->smc++;
		return;
	case MODE_SMCD:
		s->smc++;
		s->smcd++;
		return;
	case MODE_UNKNOWN:
		s->unknown++;
		return;
	case MODE_FALLBACK:
		s->fallback++;
		break;
	}
	for (i = 0; i < MAX_REASONS; i++) {
		if (s->reason_count[i] && s->reason_code[i] != reason)
			continue;
		s->reason_code[i] = reason;
		s->reason_count[i]++;
		return;
	}
	s->reason_other++;
}

static void stats_add(struct stats *dst, const struct stats *src)
{
	int i;

	dst->connections += src->connections;
	dst->messages += src->messages;
	dst->bytes_sent += src->bytes_sent;
	dst->bytes_received += src->bytes_received;
	dst->checksum_errors += src->checksum_errors;
	dst->aborted += src->aborted;
	dst->peer_aborted += src->peer_aborted;
	dst->failed_connects += src->failed_connects;
	dst->io_errors += src->io_errors;
	dst->protocol_errors += src->protocol_errors;
	dst->corrupted += src->corrupted;
	dst->smc += src->smc;
	dst->smcd += src->smcd;
	dst->unknown += src->unknown;
	dst->reason_other += src->reason_other;
	/* fallbacks re-counted one by one to merge the reason tables */
	for (i = 0; i < MAX_REASONS; i++) {
		uint64_t k;

		for (k = 0; k < src->reason_count[i]; k++)
			count_mode(dst, MODE_FALLBACK, src->reason_code[i]);
	}
}

static const char *errname(int err)
{
	static __thread char b[80];

	switch (err) {
	case ECONNRESET:
		return "ECONNRESET";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EPIPE:
		return "EPIPE";
	}
	snprintf(b, sizeof(b), "errno %d (%s)", err, strerror(err));
	return b;
}

static int new_socket(int family)
{
	int fd, proto = 0;
	int one = 1;

	if (!opt.tcp)
		proto = family == AF_INET6 ? SMCPROTO_SMC6 : SMCPROTO_SMC;
	fd = socket(opt.tcp ? family : AF_SMC, SOCK_STREAM | SOCK_CLOEXEC,
		    proto);
	if (fd >= 0 && opt.server)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

/* ---------------------------------------------------------------- server */

struct sconn {
	int fd;
	uint64_t id;
};

static void server_conn(struct sconn *c)
{
	unsigned char *buf = malloc(HDR_LEN + CHUNK);
	unsigned char *data = buf + HDR_LEN, *hdr = data;
	struct stats s;
	uint32_t reason;
	enum mode m;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.connections = 1;
	m = opt.tcp ? MODE_TCP : smc_mode(c->fd, &reason);
	count_mode(&s, m, reason);
	set_nonblock(c->fd);
	while (buf && !stop) {
		uint64_t len, rlen, got = 0, h = FNV_INIT;
		uint32_t conn, round;
		bool flip = false;
		struct stream st;
		size_t hlen;

		rc = read_all(c->fd, hdr, HDR_LEN);
		if (rc == 1) {
			rc = 0;		/* orderly close between messages */
			break;
		}
		if (rc)
			break;
		if (get32(hdr) != MSG_MAGIC) {
			s.protocol_errors++;
			break;
		}
		conn = get32(hdr + 8);
		round = get32(hdr + 12);
		len = get64(hdr + 16);
		rlen = get64(hdr + 24);
		while (got < len) {
			size_t n = len - got < CHUNK ? len - got : CHUNK;

			rc = read_all(c->fd, data, n);
			if (rc)
				break;
			h = fnv1a(h, data, n);
			got += n;
		}
		s.bytes_received += got;
		if (rc)
			break;
		if (opt.corrupt) {
			uint64_t k = __atomic_add_fetch(&corrupt_counter, 1,
							__ATOMIC_RELAXED);

			/* alternately a bad request hash, a bad reply byte */
			if (k % opt.corrupt == 0) {
				if (k / opt.corrupt % 2 || !rlen)
					h ^= 1;
				else
					flip = true;
				s.corrupted++;
			}
		}
		/* the reply header goes out with the first chunk */
		hlen = REPLY_LEN;
		put32(data - hlen, REPLY_MAGIC);
		put32(data - hlen + 4, 0);
		put64(data - hlen + 8, got);
		put64(data - hlen + 16, h);
		stream_init(&st, seed_of(conn, round, 1));
		got = 0;
		do {
			size_t n = rlen - got < CHUNK ? rlen - got : CHUNK;

			stream_fill(&st, data, n);
			if (flip) {
				data[n / 2] ^= 0x10;
				flip = false;
			}
			rc = write_all(c->fd, data - hlen, n + hlen);
			if (rc)
				break;
			hlen = 0;
			got += n;
		} while (got < rlen);
		s.bytes_sent += got;
		if (rc)
			break;
		s.messages++;
	}
	if (rc == 1 || rc == -ECONNRESET || rc == -EPIPE) {
		s.peer_aborted++;
	} else if (rc) {
		s.io_errors++;
		vlog("server conn %" PRIu64 ": %s", c->id, errname(-rc));
	}
	close(c->fd);
	free(buf);
	pthread_mutex_lock(&stats_lock);
	stats_add(&total, &s);
	active_conns--;
	pthread_mutex_unlock(&stats_lock);
}

static void *server_thread(void *arg)
{
	struct sconn *c = arg;

	server_conn(c);
	free(c);
	diag_release();
	return NULL;
}

static int server_listen(void)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	bool v6 = !opt.ipv4_only;
	int fd, zero = 0;

	if (opt.addr) {
		if (inet_pton(AF_INET, opt.addr, &a4.sin_addr) == 1)
			v6 = false;
		else if (inet_pton(AF_INET6, opt.addr, &a6.sin6_addr) == 1)
			v6 = true;
		else
			die("bad address %s", opt.addr);
	}
	a4.sin_port = htons(opt.port);
	a6.sin6_port = htons(opt.port);
	fd = v6 ? new_socket(AF_INET6) : -1;
	if (v6 && fd < 0 && !opt.addr) {
		vlog("no IPv6 socket (%s), using IPv4", strerror(errno));
		v6 = false;
	}
	if (!v6)
		fd = new_socket(AF_INET);
	if (fd < 0)
		die("socket(%s): %s", opt.tcp ? "TCP" : "AF_SMC",
		    strerror(errno));
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)))
			die("bind port %u: %s", opt.port, strerror(errno));
	} else if (bind(fd, (struct sockaddr *)&a4, sizeof(a4))) {
		die("bind port %u: %s", opt.port, strerror(errno));
	}
	if (listen(fd, 1024))
		die("listen: %s", strerror(errno));
	fprintf(stderr, "smcload: %s server listening on %s port %u\n",
		opt.tcp ? "tcp" : "smc", v6 ? "IPv6" : "IPv4", opt.port);
	return fd;
}

static void run_server(void)
{
	pthread_attr_t attr;
	uint64_t id = 0;
	unsigned int left;
	int lfd, i;

	lfd = server_listen();
	set_nonblock(lfd);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	while (!expired()) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		struct sconn *c;
		pthread_t t;
		int fd;

		if (poll(&p, 1, 250) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				vlog("accept: %s", strerror(errno));
			continue;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = id++;
		pthread_mutex_lock(&stats_lock);
		active_conns++;
		pthread_mutex_unlock(&stats_lock);
		if (pthread_create(&t, &attr, server_thread, c)) {
			/* out of threads: serve inline, slower but safe */
			server_conn(c);
			free(c);
		}
	}
	close(lfd);
	stop = 1;
	/* connection threads notice stop within a poll slice */
	for (i = 0; i < 100; i++) {
		pthread_mutex_lock(&stats_lock);
		left = active_conns;
		pthread_mutex_unlock(&stats_lock);
		if (!left)
			break;
		usleep(50000);
	}
	/* held until exit: stragglers must not change what we print */
	pthread_mutex_lock(&stats_lock);
}

/* ---------------------------------------------------------------- client */

static int client_connect(void)
{
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = new_socket(peer.ss_family);
	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		die("socket(%s): %s%s", opt.tcp ? "TCP" : "AF_SMC",
		    strerror(errno), opt.tcp ? "" : " (smc module missing?)");
	if (fd < 0)
		return -errno;
	if (opt.async_connect)
		set_nonblock(fd);
	if (connect(fd, (struct sockaddr *)&peer, peer_len)) {
		err = errno;
		if (opt.async_connect && err == EINPROGRESS) {
			err = -wait_fd(fd, POLLOUT, now() + opt.timeout);
			if (!err &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
				err = errno;
		}
		if (err) {
			close(fd);
			return -err;
		}
	}
	set_nonblock(fd);
	return fd;
}

static void abort_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/*
 * One message on fd.  Returns 0 done, 1 aborted on purpose (fd closed),
 * -errno on I/O error.  Checksum errors are counted, not returned.
 */
static int client_message(int fd, uint32_t conn, uint32_t round,
			  unsigned char *buf, struct stats *s)
{
	uint64_t rs = seed_of(conn, round, 2);
	uint64_t h = FNV_INIT, len = opt.size, rlen = opt.rsize, done;
	unsigned char *data = buf + HDR_LEN, rep[REPLY_LEN];
	uint64_t abort_at = UINT64_MAX;
	size_t hlen = HDR_LEN;
	bool abort_in_reply = false, bad = false;
	struct stream st;
	int rc;

	if (opt.abort_pct && mix64(&rs) % 100 < opt.abort_pct) {
		abort_in_reply = rlen && (mix64(&rs) & 1);
		abort_at = mix64(&rs) % ((abort_in_reply ? rlen : len) + 1);
	}
	/* the header goes out with the first chunk */
	put32(buf, MSG_MAGIC);
	put32(buf + 4, 0);
	put32(buf + 8, conn);
	put32(buf + 12, round);
	put64(buf + 16, len);
	put64(buf + 24, rlen);
	stream_init(&st, seed_of(conn, round, 0));
	done = 0;
	do {
		size_t n = len - done < CHUNK ? len - done : CHUNK;

		if (!abort_in_reply && done + n > abort_at)
			n = abort_at - done;
		stream_fill(&st, data, n);
		h = fnv1a(h, data, n);
		rc = write_all(fd, data - hlen, n + hlen);
		if (rc)
			return rc;
		hlen = 0;
		done += n;
		s->bytes_sent += n;
		if (!abort_in_reply && done == abort_at) {
			abort_close(fd);
			return 1;
		}
	} while (done < len);
	rc = read_all(fd, rep, REPLY_LEN);
	if (rc)
		return rc == 1 ? -ECONNRESET : rc;
	if (get32(rep) != REPLY_MAGIC) {
		s->protocol_errors++;
		return -EPROTO;
	}
	if (get64(rep + 8) != len || get64(rep + 16) != h) {
		vlog("conn %u round %u: request hash mismatch", conn, round);
		s->checksum_errors++;
	}
	stream_init(&st, seed_of(conn, round, 1));
	for (done = 0; done < rlen; ) {
		unsigned char *exp = data + CHUNK;
		size_t n = rlen - done < CHUNK ? rlen - done : CHUNK;

		if (abort_in_reply && done + n > abort_at)
			n = abort_at - done;
		rc = read_all(fd, data, n);
		if (rc)
			return rc == 1 ? -ECONNRESET : rc;
		if (!bad) {
			stream_fill(&st, exp, n);
			if (memcmp(data, exp, n)) {
				vlog("conn %u round %u: bad reply data near %"
				     PRIu64, conn, round, done);
				/* one error per message; read on unchecked */
				s->checksum_errors++;
				bad = true;
			}
		}
		done += n;
		s->bytes_received += n;
		if (abort_in_reply && done == abort_at) {
			abort_close(fd);
			return 1;
		}
	}
	s->messages++;
	return 0;
}

static void *client_thread(void *arg)
{
	uint32_t conn = (uint32_t)(uintptr_t)arg;
	unsigned char *buf = malloc(HDR_LEN + 2 * CHUNK);
	unsigned long round;
	struct stats s;
	int fd = -1;

	memset(&s, 0, sizeof(s));
	for (round = 0; buf && !expired(); round++) {
		int rc;

		if (opt.rounds_set && round >= opt.rounds)
			break;
		if (fd < 0) {
			uint32_t reason;
			enum mode m;

			fd = client_connect();
			if (fd < 0) {
				s.failed_connects++;
				vlog("conn %u: connect: %s", conn,
				     errname(-fd));
				fd = -1;
				usleep(10000);
				continue;
			}
			s.connections++;
			m = opt.tcp ? MODE_TCP : smc_mode(fd, &reason);
			count_mode(&s, m, reason);
		}
		rc = client_message(fd, conn, round, buf, &s);
		if (rc == 1) {
			s.aborted++;
			fd = -1;
			continue;
		}
		if (rc) {
			s.io_errors++;
			vlog("conn %u round %lu: %s", conn, round,
			     errname(-rc));
			abort_close(fd);
			fd = -1;
			continue;
		}
		if (!opt.reuse) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	diag_release();
	pthread_mutex_lock(&stats_lock);
	stats_add(&total, &s);
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

static void resolve_peer(void)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&peer;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&peer;

	if (!opt.addr)
		die("client needs -a ADDR");
	memset(&peer, 0, sizeof(peer));
	if (inet_pton(AF_INET, opt.addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(opt.port);
		peer_len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, opt.addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(opt.port);
		peer_len = sizeof(*a6);
	} else {
		die("bad address %s (numeric IPv4 or IPv6 only)", opt.addr);
	}
}

/* --wait: retry until the server accepts, without counting anything */
static void wait_server(void)
{
	double end = now() + opt.wait;
	int fd;

	for (;;) {
		fd = client_connect();
		if (fd >= 0) {
			close(fd);
			return;
		}
		if (now() >= end || stop)
			die("server %s port %u not reachable: %s", opt.addr,
			    opt.port, errname(-fd));
		usleep(200000);
	}
}

static void run_client(void)
{
	pthread_t *t;
	unsigned int i;

	resolve_peer();
	if (opt.wait)
		wait_server();
	t = calloc(opt.conns, sizeof(*t));
	if (!t)
		die("out of memory");
	for (i = 0; i < opt.conns; i++)
		if (pthread_create(&t[i], NULL, client_thread,
				   (void *)(uintptr_t)i))
			die("pthread_create: %s", strerror(errno));
	for (i = 0; i < opt.conns; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_lock(&stats_lock);	/* as in run_server() */
}

/* ---------------------------------------------------------------- report */

static int report(double secs)
{
	const struct stats *s = &total;
	uint64_t attempts = s->connections + s->failed_connects;
	uint64_t failures = s->failed_connects + s->io_errors +
			    s->protocol_errors;
	const char *why = NULL;
	double fail_pct;
	int i;

	fail_pct = attempts ? 100.0 * failures / attempts : 0;
	if (s->checksum_errors)
		why = "checksum errors";
	else if (fail_pct > opt.max_fail_pct)
		why = "failures above threshold";
	else if (!opt.server && !s->messages && !s->aborted)
		why = "no message completed";
	else if (!opt.tcp && !strcmp(opt.expect, "smc") &&
		 (s->fallback || s->unknown || !s->smc))
		why = "connections not on SMC";
	else if (!opt.tcp && !strcmp(opt.expect, "fallback") &&
		 (s->smc || s->unknown || !s->fallback))
		why = "connections not on TCP fallback";

	printf("{\"role\":\"%s\",\"transport\":\"%s\",\"elapsed_s\":%.2f,",
	       opt.server ? "server" : "client", opt.tcp ? "tcp" : "smc",
	       secs);
	printf("\"connections\":%" PRIu64 ",\"messages\":%" PRIu64
	       ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
	       ",", s->connections, s->messages, s->bytes_sent,
	       s->bytes_received);
	printf("\"checksum_errors\":%" PRIu64 ",\"aborted\":%" PRIu64
	       ",\"peer_aborted\":%" PRIu64 ",\"failed_connects\":%" PRIu64
	       ",\"io_errors\":%" PRIu64 ",\"protocol_errors\":%" PRIu64 ",",
	       s->checksum_errors, s->aborted, s->peer_aborted,
	       s->failed_connects, s->io_errors, s->protocol_errors);
	if (opt.corrupt)
		printf("\"corrupted\":%" PRIu64 ",", s->corrupted);
	printf("\"smc_connections\":%" PRIu64 ",\"smcd_connections\":%"
	       PRIu64 ",\"fallback_connections\":%" PRIu64
	       ",\"unknown_mode\":%" PRIu64 ",\"fallback_reasons\":{",
	       s->smc, s->smcd, s->fallback, s->unknown);
	for (i = 0; i < MAX_REASONS && s->reason_count[i]; i++)
		printf("%s\"0x%08x\":%" PRIu64, i ? "," : "",
		       s->reason_code[i], s->reason_count[i]);
	if (s->reason_other)
		printf("%s\"other\":%" PRIu64, i ? "," : "", s->reason_other);
	printf("},\"diag\":\"%s\",", opt.tcp ? "n/a" : opt.no_diag ? "off" :
	       diag_broken ? strerror(diag_broken) :
	       diag_used ? "smc_diag" : "unused");
	printf("\"result\":\"%s\"", why ? "fail" : "pass");
	if (why)
		printf(",\"why\":\"%s\"", why);
	printf("}\n");
	fflush(stdout);
	return why ? 1 : 0;
}

/* ---------------------------------------------------------------- main */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long num(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("bad %s: %s", what, s);
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		die("bad %s: %s", what, s);
	return v;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: smcload server [-a ADDR] [-p PORT] [-4] [--tcp] [--duration SEC]\n"
"       smcload client -a ADDR [-p PORT] [-c CONNS] [-n ROUNDS] [-s BYTES]\n"
"                      [-r BYTES] [--abort-pct P] [--duration SEC] [--tcp]\n"
"                      [--reuse] [--async-connect] [--timeout SEC]\n"
"                      [--wait SEC] [--max-fail-pct P]\n"
"                      [--expect any|smc|fallback] [--no-diag] [-v]\n");
	exit(rc);
}

enum {
	OPT_TCP = 256, OPT_ABORT, OPT_DURATION, OPT_REUSE, OPT_ASYNC,
	OPT_TIMEOUT, OPT_WAIT, OPT_MAXFAIL, OPT_EXPECT, OPT_NODIAG,
	OPT_CORRUPT,
};

static const struct option longopts[] = {
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "abort-pct", required_argument, NULL, OPT_ABORT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "reuse", no_argument, NULL, OPT_REUSE },
	{ "async-connect", no_argument, NULL, OPT_ASYNC },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "max-fail-pct", required_argument, NULL, OPT_MAXFAIL },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "no-diag", no_argument, NULL, OPT_NODIAG },
	{ "corrupt", required_argument, NULL, OPT_CORRUPT },	/* testing */
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double start;
	int c;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "server"))
		opt.server = true;
	else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	else if (strcmp(argv[1], "client"))
		usage(2);
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "a:p:4c:n:s:r:vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			opt.addr = optarg;
			break;
		case 'p':
			opt.port = num(optarg, "port");
			if (!opt.port || opt.port > 65535)
				die("bad port %s", optarg);
			break;
		case '4':
			opt.ipv4_only = true;
			break;
		case 'c':
			opt.conns = num(optarg, "connection count");
			if (!opt.conns || opt.conns > 65536)
				die("bad connection count %s", optarg);
			break;
		case 'n':
			opt.rounds = num(optarg, "rounds");
			opt.rounds_set = true;
			break;
		case 's':
			opt.size = num(optarg, "size");
			break;
		case 'r':
			opt.rsize = num(optarg, "reply size");
			opt.rsize_set = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case OPT_TCP:
			opt.tcp = true;
			break;
		case OPT_ABORT:
			opt.abort_pct = num(optarg, "abort percentage");
			if (opt.abort_pct > 100)
				die("bad abort percentage %s", optarg);
			break;
		case OPT_DURATION:
			opt.duration = num(optarg, "duration");
			break;
		case OPT_REUSE:
			opt.reuse = true;
			break;
		case OPT_ASYNC:
			opt.async_connect = true;
			break;
		case OPT_TIMEOUT:
			opt.timeout = num(optarg, "timeout");
			if (!opt.timeout)
				die("bad timeout %s", optarg);
			break;
		case OPT_WAIT:
			opt.wait = num(optarg, "wait");
			break;
		case OPT_MAXFAIL:
			opt.max_fail_pct = strtod(optarg, NULL);
			break;
		case OPT_EXPECT:
			opt.expect = optarg;
			if (strcmp(optarg, "any") && strcmp(optarg, "smc") &&
			    strcmp(optarg, "fallback"))
				die("bad --expect %s", optarg);
			break;
		case OPT_NODIAG:
			opt.no_diag = true;
			break;
		case OPT_CORRUPT:
			opt.corrupt = num(optarg, "corrupt interval");
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (!opt.rsize_set)
		opt.rsize = opt.size;
	if (opt.duration && !opt.rounds_set)
		opt.rounds = 0;
	if (!opt.duration && !opt.rounds_set)
		opt.rounds_set = true;	/* default -n 10 */
	if (opt.no_diag)
		diag_broken = EPERM;	/* any non-zero: never asked */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start = now();
	if (opt.duration)
		deadline = start + opt.duration;
	if (opt.server)
		run_server();
	else
		run_client();
	return report(now() - start);
}
