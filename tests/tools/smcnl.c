// SPDX-License-Identifier: GPL-2.0
/*
 * smcnl: configure and query the kernel's SMC over generic netlink, for
 * systems without smc-tools.  Plain libc, messages built by hand.
 *
 *   smcnl pnet add PNETID [--eth IFNAME] [--ib DEV [PORT]]
 *   smcnl pnet del PNETID | pnet flush | pnet show [PNETID]
 *   smcnl ueid add UEID | ueid del UEID | ueid flush | ueid show
 *   smcnl info | stats | devices | linkgroups
 *
 * Families: "SMC_PNETID" (pnet table, 5.10 and later) and
 * "SMC_GEN_NETLINK" (everything else, 5.11 and later; Debian 11's 5.10
 * does not have it).  See README.md.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * ABI numbers from include/uapi/linux/smc.h, spelled out here because the
 * build host's headers may be older than the kernel we talk to.
 */
#define PNET_FAMILY		"SMC_PNETID"
#define GEN_FAMILY		"SMC_GEN_NETLINK"

/* SMC_PNETID commands and attributes */
#define PNETID_GET		1
#define PNETID_ADD		2
#define PNETID_DEL		3
#define PNETID_FLUSH		4
#define PNETID_A_NAME		1	/* string */
#define PNETID_A_ETHNAME	2	/* string */
#define PNETID_A_IBNAME		3	/* string */
#define PNETID_A_IBPORT		4	/* u8 */
#define PNETID_MAX_LEN		16

/* SMC_GEN_NETLINK commands */
#define NL_GET_SYS_INFO		1
#define NL_GET_LGR_SMCR		2
#define NL_GET_LINK_SMCR	3
#define NL_GET_LGR_SMCD		4
#define NL_GET_DEV_SMCD		5
#define NL_GET_DEV_SMCR		6
#define NL_GET_STATS		7
#define NL_GET_FBACK_STATS	8
#define NL_DUMP_UEID		9
#define NL_ADD_UEID		10
#define NL_REMOVE_UEID		11
#define NL_FLUSH_UEID		12

/* top level nests */
#define GEN_SYS_INFO		1
#define GEN_LGR_SMCR		2
#define GEN_LINK_SMCR		3
#define GEN_DEV_SMCR		6
#define GEN_STATS		7
#define GEN_FBACK_STATS		8

/* SMC_GEN_SYS_INFO */
#define SYS_VER			1	/* u8 */
#define SYS_REL			2	/* u8 */
#define SYS_IS_ISM_V2		3	/* u8 */
#define SYS_LOCAL_HOST		4	/* string */
#define SYS_SEID		5	/* string */
#define SYS_IS_SMCR_V2		6	/* u8 */

/* SMC_GEN_LGR_SMCR */
#define LGR_R_ID		1	/* u32 */
#define LGR_R_ROLE		2	/* u8 */
#define LGR_R_TYPE		3	/* u8 */
#define LGR_R_PNETID		4	/* string */
#define LGR_R_VLAN_ID		5	/* u8 */
#define LGR_R_CONNS_NUM		6	/* u32 */
#define LGR_R_V2_COMMON		7	/* nest */
#define LGR_R_V2		8	/* nest */
#define LGR_V2_VER		0	/* u8, in LGR_R_V2_COMMON */
#define LGR_V2_REL		1	/* u8 */
#define LGR_V2_NEG_EID		3	/* string */
#define LGR_V2_PEER_HOST	4	/* string */
#define LGR_R_V2_DIRECT		1	/* u8, in LGR_R_V2 */

/* SMC_GEN_LINK_SMCR */
#define LINK_ID			1	/* u8 */
#define LINK_IB_DEV		2	/* string */
#define LINK_IB_PORT		3	/* u8 */
#define LINK_GID		4	/* string */
#define LINK_PEER_GID		5	/* string */
#define LINK_CONN_CNT		6	/* u32 */
#define LINK_NET_DEV		7	/* u32 */
#define LINK_STATE		10	/* u32 */

/* SMC_GEN_DEV_SMCR, and the per port nests SMC_NLA_DEV_PORT(2) */
#define DEV_USE_CNT		1	/* u32 */
#define DEV_PORT		8	/* nest; port 2 is DEV_PORT + 1 */
#define DEV_IB_NAME		10	/* string */
#define PORT_PNET_USR		1	/* u8 */
#define PORT_PNETID		2	/* string */
#define PORT_NETDEV		3	/* u32 */
#define PORT_STATE		4	/* u8 */
#define PORT_VALID		5	/* u8 */
#define PORT_LNK_CNT		6	/* u32 */

/* SMC_GEN_STATS */
#define STATS_SMCD_TECH		1	/* nest */
#define STATS_SMCR_TECH		2	/* nest */
#define STATS_CLNT_HS_ERR	3	/* u64 */
#define STATS_SRV_HS_ERR	4	/* u64 */

/* SMC_GEN_FBACK_STATS */
#define FBACK_TYPE		1	/* u8: 1 server, 0 client */
#define FBACK_SRV_CNT		2	/* u64 */
#define FBACK_CLNT_CNT		3	/* u64 */
#define FBACK_RSN_CODE		4	/* u32 */
#define FBACK_RSN_CNT		5	/* u16 */

/* SMC_NETLINK_UEID */
#define EID_ENTRY		1	/* string, 32 chars blank padded */
#define EID_LEN			32

/* u64 counters in a SMC_NLA_STATS_SMC[RD]_TECH nest, by attribute id */
static const char * const tech_names[] = {
	[7] = "clnt_v1_succ",
	[8] = "clnt_v2_succ",
	[9] = "srv_v1_succ",
	[10] = "srv_v2_succ",
	[11] = "sendpage_cnt",
	[12] = "splice_cnt",
	[13] = "cork_cnt",
	[14] = "ndly_cnt",
	[15] = "urg_data_cnt",
	[16] = "rx_bytes",
	[17] = "tx_bytes",
	[18] = "rx_cnt",
	[19] = "tx_cnt",
	[20] = "rx_rmbuse",	/* 6.10+ */
	[21] = "tx_rmbuse",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NTECH ARRAY_SIZE(tech_names)

static const char *prog = "smcnl";

#define __noreturn __attribute__((noreturn))

static void __noreturn fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

/* ------------------------------------------------------------ attributes */

struct attrs {
	const struct nlattr *a[32];
};

static const void *nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int nla_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* index a run of attributes by type; later duplicates win */
static void parse_attrs(struct attrs *t, const void *data, int len)
{
	const struct nlattr *a = data;

	memset(t, 0, sizeof(*t));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;

		if (type < 32)
			t->a[type] = a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
}

static void parse_nested(struct attrs *t, const struct nlattr *a)
{
	if (a)
		parse_attrs(t, nla_data(a), nla_len(a));
	else
		memset(t, 0, sizeof(*t));
}

/* unsigned of any width the kernel may use (nla_put_uint is 4 or 8) */
static uint64_t get_uint(const struct nlattr *a)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	if (!a)
		return 0;
	switch (nla_len(a)) {
	case 1:
		return *(const uint8_t *)nla_data(a);
	case 2:
		memcpy(&v16, nla_data(a), 2);
		return v16;
	case 4:
		memcpy(&v32, nla_data(a), 4);
		return v32;
	case 8:
		memcpy(&v64, nla_data(a), 8);
		return v64;
	}
	return 0;
}

/* string attribute as a JSON string literal, trailing blanks dropped */
static void put_jstr(const struct nlattr *a)
{
	const char *s = a ? nla_data(a) : "";
	int i, n = a ? strnlen(s, nla_len(a)) : 0;

	while (n && s[n - 1] == ' ')
		n--;
	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* --------------------------------------------------------------- netlink */

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	};
};

static int nl_fd = -1;
static uint32_t nl_seq;

static void msg_init(struct msg *m, uint16_t family, uint8_t cmd,
		     uint8_t version, uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh.nlmsg_seq = ++nl_seq;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = version;
}

static void msg_put(struct msg *m, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr *a;
	size_t at = NLMSG_ALIGN(m->nlh.nlmsg_len);

	if (at + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf))
		fail(2, "netlink message too long");
	a = (struct nlattr *)(m->buf + at);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = at + NLA_ALIGN(a->nla_len);
}

static void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, s, strlen(s) + 1);
}

typedef void (*reply_fn)(const struct nlmsghdr *h, const struct attrs *t,
			 void *ctx);

/*
 * Send m and read the answer to its end: the ack for a request, DONE for
 * a dump.  Each data message goes to fn with its top level attributes.
 * Returns 0 or a negative errno from the kernel.
 */
static int nl_talk(struct msg *m, reply_fn fn, void *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[65536];
	bool dump = m->nlh.nlmsg_flags & NLM_F_DUMP;

	if (nl_fd < 0) {
		nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			       NETLINK_GENERIC);
		if (nl_fd < 0)
			fail(1, "netlink socket: %s", strerror(errno));
	}
	if (!dump)
		m->nlh.nlmsg_flags |= NLM_F_ACK;
	if (sendto(nl_fd, m, m->nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		fail(1, "netlink send: %s", strerror(errno));
	for (;;) {
		struct nlmsghdr *h;
		ssize_t n = recv(nl_fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(1, "netlink receive: %s", strerror(errno));
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct attrs t;

			if (h->nlmsg_seq != m->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				/* error 0 is the ack of a request */
				return e->error;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			parse_attrs(&t, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
				    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			/* for a request, the ack still follows */
			if (fn)
				fn(h, &t, ctx);
		}
	}
}

struct family {
	const char *name;
	uint16_t id;
	uint32_t version;
	bool ops[64];		/* commands the kernel offers */
};

static void family_reply(const struct nlmsghdr *h, const struct attrs *t,
			 void *ctx)
{
	struct family *f = ctx;
	const struct nlattr *a;
	int len;

	(void)h;
	f->id = get_uint(t->a[CTRL_ATTR_FAMILY_ID]);
	f->version = get_uint(t->a[CTRL_ATTR_VERSION]);
	a = t->a[CTRL_ATTR_OPS];
	if (!a)
		return;
	/* CTRL_ATTR_OPS: nests numbered 1.., each with an op id */
	len = nla_len(a);
	for (a = nla_data(a); len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	     a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		struct attrs op;
		uint64_t id;

		parse_nested(&op, a);
		id = get_uint(op.a[CTRL_ATTR_OP_ID]);
		if (id < 64)
			f->ops[id] = true;
	}
}

static bool smc_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/smc", &st);
}

/* look a family up; the kernel autoloads it where a module alias exists */
static void family_get(struct family *f, const char *name)
{
	struct msg m;
	int rc;

	memset(f, 0, sizeof(*f));
	f->name = name;
	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	rc = nl_talk(&m, family_reply, f);
	if (rc == -ENOENT || (!rc && !f->id)) {
		if (!smc_loaded())
			fail(3, "no generic netlink family %s: smc module not loaded (modprobe smc)",
			     name);
		fail(3, "no generic netlink family %s: not in this kernel's SMC%s",
		     name, strcmp(name, GEN_FAMILY) ? "" :
		     " (new in Linux 5.11; Debian 11's 5.10 has only SMC_PNETID)");
	}
	if (rc)
		fail(1, "looking up family %s: %s", name, strerror(-rc));
}

static void need_op(const struct family *f, unsigned int cmd,
		    const char *what)
{
	if (cmd >= 64 || !f->ops[cmd])
		fail(3, "%s: not supported by this kernel (%s has no command %u)",
		     what, f->name, cmd);
}

static int request(const struct family *f, uint8_t cmd, const char *what,
		   struct msg *m)
{
	need_op(f, cmd, what);
	m->nlh.nlmsg_type = f->id;
	((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->cmd = cmd;
	return nl_talk(m, NULL, NULL);
}

static void dump(const struct family *f, uint8_t cmd, const char *what,
		 reply_fn fn, void *ctx)
{
	struct msg m;
	int rc;

	need_op(f, cmd, what);
	msg_init(&m, f->id, cmd, f->version, NLM_F_DUMP);
	rc = nl_talk(&m, fn, ctx);
	if (rc)
		fail(1, "%s: %s", what, strerror(-rc));
}

static void check(int rc, const char *what, const char *hint)
{
	if (!rc)
		return;
	if (rc == -EPERM)
		fail(1, "%s: %s (needs CAP_NET_ADMIN)", what, strerror(-rc));
	fail(1, "%s: %s%s", what, strerror(-rc), hint ? hint : "");
}

/* ------------------------------------------------------------------ pnet */

static void pnet_reply(const struct nlmsghdr *h, const struct attrs *t,
		       void *ctx)
{
	int *n = ctx;

	(void)h;
	printf("%s{\"pnetid\":", (*n)++ ? "," : "");
	put_jstr(t->a[PNETID_A_NAME]);
	printf(",\"eth\":");
	put_jstr(t->a[PNETID_A_ETHNAME]);
	printf(",\"ib\":");
	put_jstr(t->a[PNETID_A_IBNAME]);
	printf(",\"ibport\":%" PRIu64 "}", get_uint(t->a[PNETID_A_IBPORT]));
}

static void check_pnetid(const char *id)
{
	size_t i, n = strlen(id);

	if (!n || n > PNETID_MAX_LEN)
		fail(2, "PNETID must have 1 to %d characters", PNETID_MAX_LEN);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]))
			fail(2, "PNETID must be alphanumeric: %s", id);
}

static int cmd_pnet(int argc, char **argv)
{
	struct family f;
	struct msg m;
	int i, n = 0;

	if (argc < 1)
		return -1;
	family_get(&f, PNET_FAMILY);
	msg_init(&m, f.id, 0, f.version, 0);
	if (!strcmp(argv[0], "show")) {
		if (argc > 2)
			return -1;
		need_op(&f, PNETID_GET, "pnet show");
		if (argc == 2) {
			/* the GET doit answers with a DONE-terminated dump */
			msg_init(&m, f.id, PNETID_GET, f.version, 0);
			msg_put_str(&m, PNETID_A_NAME, argv[1]);
		} else {
			msg_init(&m, f.id, PNETID_GET, f.version,
				 NLM_F_DUMP);
		}
		printf("{\"pnet\":[");
		i = nl_talk(&m, pnet_reply, &n);
		printf("]}\n");
		check(i, "pnet show", NULL);
		return 0;
	}
	if (!strcmp(argv[0], "flush")) {
		if (argc != 1)
			return -1;
		check(request(&f, PNETID_FLUSH, "pnet flush", &m),
		      "pnet flush", NULL);
		return 0;
	}
	if (argc < 2)
		return -1;
	check_pnetid(argv[1]);
	msg_put_str(&m, PNETID_A_NAME, argv[1]);
	if (!strcmp(argv[0], "del")) {
		if (argc != 2)
			return -1;
		check(request(&f, PNETID_DEL, "pnet del", &m), "pnet del",
		      " (no such PNETID?)");
		return 0;
	}
	if (strcmp(argv[0], "add"))
		return -1;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--eth") && i + 1 < argc) {
			if (strlen(argv[++i]) >= IFNAMSIZ)
				fail(2, "interface name too long: %s", argv[i]);
			msg_put_str(&m, PNETID_A_ETHNAME, argv[i]);
			n++;
		} else if (!strcmp(argv[i], "--ib") && i + 1 < argc) {
			uint8_t port = 1;

			msg_put_str(&m, PNETID_A_IBNAME, argv[++i]);
			if (i + 1 < argc &&
			    isdigit((unsigned char)argv[i + 1][0])) {
				int p = atoi(argv[++i]);

				if (p < 1 || p > 2)
					fail(2, "IB port must be 1 or 2: %s",
					     argv[i]);
				port = p;
			}
			msg_put(&m, PNETID_A_IBPORT, &port, 1);
			n++;
		} else {
			return -1;
		}
	}
	if (!n)
		fail(2, "pnet add needs --eth IFNAME and/or --ib DEV [PORT]");
	check(request(&f, PNETID_ADD, "pnet add", &m), "pnet add",
	      " (EEXIST: device already has a PNETID; EINVAL: bad name or port)");
	return 0;
}

/* ------------------------------------------------------------------ ueid */

static void ueid_reply(const struct nlmsghdr *h, const struct attrs *t,
		       void *ctx)
{
	int *n = ctx;

	(void)h;
	if (!t->a[EID_ENTRY])
		return;
	printf("%s", (*n)++ ? "," : "");
	put_jstr(t->a[EID_ENTRY]);
}

/* the kernel wants exactly 32 characters, blank padded, plus a NUL */
static void put_ueid(struct msg *m, const char *ueid)
{
	char eid[EID_LEN + 1];
	size_t i, n = strlen(ueid);

	if (!n || n > EID_LEN)
		fail(2, "UEID must have 1 to %d characters", EID_LEN);
	for (i = 0; i < n; i++) {
		unsigned char c = toupper((unsigned char)ueid[i]);

		if (!isalnum(c) && !(i && (c == '.' || c == '-')))
			fail(2, "UEID: A-Z, 0-9, '.', '-' (not first): %s",
			     ueid);
		eid[i] = c;
	}
	memset(eid + n, ' ', EID_LEN - n);
	eid[EID_LEN] = '\0';
	msg_put(m, EID_ENTRY, eid, sizeof(eid));
}

static int cmd_ueid(int argc, char **argv)
{
	struct family f;
	struct msg m;
	int n = 0;

	if (argc < 1)
		return -1;
	family_get(&f, GEN_FAMILY);
	msg_init(&m, f.id, 0, f.version, 0);
	if (!strcmp(argv[0], "show") && argc == 1) {
		printf("{\"ueid\":[");
		dump(&f, NL_DUMP_UEID, "ueid show", ueid_reply, &n);
		printf("]}\n");
	} else if (!strcmp(argv[0], "flush") && argc == 1) {
		check(request(&f, NL_FLUSH_UEID, "ueid flush", &m),
		      "ueid flush", NULL);
	} else if (!strcmp(argv[0], "add") && argc == 2) {
		put_ueid(&m, argv[1]);
		check(request(&f, NL_ADD_UEID, "ueid add", &m), "ueid add",
		      " (EEXIST: present; ERANGE: table full, 4 entries)");
	} else if (!strcmp(argv[0], "del") && argc == 2) {
		put_ueid(&m, argv[1]);
		check(request(&f, NL_REMOVE_UEID, "ueid del", &m), "ueid del",
		      " (no such UEID?)");
	} else {
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- stats */

struct tech {
	uint64_t v[NTECH];
	bool seen;
};

struct stats_ctx {
	struct tech smcr, smcd;
	uint64_t clnt_hs_err, srv_hs_err;
	bool have_stats;
	uint64_t fb_srv, fb_clnt;
	int nreasons;
	struct {
		bool srv;
		uint32_t code;
		uint64_t count;
	} rsn[128];
};

static void tech_parse(struct tech *tc, const struct nlattr *a)
{
	struct attrs t;
	unsigned int i;

	if (!a)
		return;
	parse_nested(&t, a);
	tc->seen = true;
	for (i = 0; i < NTECH; i++)
		if (tech_names[i] && t.a[i])
			tc->v[i] = get_uint(t.a[i]);
}

static void stats_reply(const struct nlmsghdr *h, const struct attrs *t,
			void *ctx)
{
	struct stats_ctx *s = ctx;
	struct attrs st;

	(void)h;
	if (!t->a[GEN_STATS])
		return;
	parse_nested(&st, t->a[GEN_STATS]);
	tech_parse(&s->smcr, st.a[STATS_SMCR_TECH]);
	tech_parse(&s->smcd, st.a[STATS_SMCD_TECH]);
	s->clnt_hs_err = get_uint(st.a[STATS_CLNT_HS_ERR]);
	s->srv_hs_err = get_uint(st.a[STATS_SRV_HS_ERR]);
	s->have_stats = true;
}

static void fback_reply(const struct nlmsghdr *h, const struct attrs *t,
			void *ctx)
{
	struct stats_ctx *s = ctx;
	struct attrs fb;

	(void)h;
	if (!t->a[GEN_FBACK_STATS])
		return;
	parse_nested(&fb, t->a[GEN_FBACK_STATS]);
	/* the totals ride on the first message only */
	if (fb.a[FBACK_SRV_CNT])
		s->fb_srv = get_uint(fb.a[FBACK_SRV_CNT]);
	if (fb.a[FBACK_CLNT_CNT])
		s->fb_clnt = get_uint(fb.a[FBACK_CLNT_CNT]);
	if (fb.a[FBACK_RSN_CODE] && s->nreasons < 128) {
		s->rsn[s->nreasons].srv = get_uint(fb.a[FBACK_TYPE]);
		s->rsn[s->nreasons].code = get_uint(fb.a[FBACK_RSN_CODE]);
		s->rsn[s->nreasons].count = get_uint(fb.a[FBACK_RSN_CNT]);
		s->nreasons++;
	}
}

static uint64_t tech_conns(const struct tech *tc)
{
	return tc->v[7] + tc->v[8] + tc->v[9] + tc->v[10];
}

static void print_tech(const char *name, const struct tech *tc)
{
	unsigned int i;
	bool first = true;

	printf("\"%s\":{", name);
	for (i = 0; i < NTECH; i++) {
		if (!tech_names[i])
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", tech_names[i],
		       tc->v[i]);
		first = false;
	}
	printf("}");
}

static int cmd_stats(int argc, char **argv)
{
	struct stats_ctx *s = calloc(1, sizeof(*s));
	struct family f;
	int i;

	(void)argv;
	if (argc || !s)
		return -1;
	family_get(&f, GEN_FAMILY);
	dump(&f, NL_GET_STATS, "stats", stats_reply, s);
	dump(&f, NL_GET_FBACK_STATS, "fallback stats", fback_reply, s);
	if (!s->have_stats)
		fail(1, "stats: the kernel sent no statistics");
	printf("{\"smc_connections\":%" PRIu64 ",\"smcr_connections\":%"
	       PRIu64 ",\"smcd_connections\":%" PRIu64,
	       tech_conns(&s->smcr) + tech_conns(&s->smcd),
	       tech_conns(&s->smcr), tech_conns(&s->smcd));
	printf(",\"fallback_connections\":%" PRIu64
	       ",\"fallback_server\":%" PRIu64 ",\"fallback_client\":%"
	       PRIu64, s->fb_srv + s->fb_clnt, s->fb_srv, s->fb_clnt);
	printf(",\"handshake_errors_client\":%" PRIu64
	       ",\"handshake_errors_server\":%" PRIu64
	       ",\"fallback_reasons\":[", s->clnt_hs_err, s->srv_hs_err);
	for (i = 0; i < s->nreasons; i++)
		printf("%s{\"side\":\"%s\",\"code\":\"0x%08x\",\"count\":%"
		       PRIu64 "}", i ? "," : "",
		       s->rsn[i].srv ? "server" : "client", s->rsn[i].code,
		       s->rsn[i].count);
	printf("],");
	print_tech("smcr", &s->smcr);
	printf(",");
	print_tech("smcd", &s->smcd);
	printf("}\n");
	free(s);
	return 0;
}

/* ----------------------------------------------------- info, lgr, device */

static void info_reply(const struct nlmsghdr *h, const struct attrs *t,
		       void *ctx)
{
	struct attrs si;

	(void)h;
	(void)ctx;
	if (!t->a[GEN_SYS_INFO])
		return;
	parse_nested(&si, t->a[GEN_SYS_INFO]);
	printf("{\"smc_version\":%" PRIu64 ",\"release\":%" PRIu64
	       ",\"smcr_v2\":%" PRIu64 ",\"ism_v2\":%" PRIu64 ",\"host\":",
	       get_uint(si.a[SYS_VER]), get_uint(si.a[SYS_REL]),
	       get_uint(si.a[SYS_IS_SMCR_V2]), get_uint(si.a[SYS_IS_ISM_V2]));
	put_jstr(si.a[SYS_LOCAL_HOST]);
	printf(",\"seid\":");
	put_jstr(si.a[SYS_SEID]);
	printf("}\n");
}

static int cmd_info(int argc, char **argv)
{
	struct family f;

	(void)argv;
	if (argc)
		return -1;
	family_get(&f, GEN_FAMILY);
	dump(&f, NL_GET_SYS_INFO, "info", info_reply, NULL);
	return 0;
}

/* one JSON line per link group and per link */
static void lgr_reply(const struct nlmsghdr *h, const struct attrs *t,
		      void *ctx)
{
	struct attrs a, v2, v2c;

	(void)h;
	(void)ctx;
	if (t->a[GEN_LGR_SMCR]) {
		parse_nested(&a, t->a[GEN_LGR_SMCR]);
		parse_nested(&v2, a.a[LGR_R_V2]);
		parse_nested(&v2c, a.a[LGR_R_V2_COMMON]);
		printf("{\"lgr\":\"%08" PRIx64 "\",\"role\":\"%s\",\"type\":%"
		       PRIu64 ",\"vlan\":%" PRIu64 ",\"conns\":%" PRIu64
		       ",\"pnetid\":", get_uint(a.a[LGR_R_ID]),
		       get_uint(a.a[LGR_R_ROLE]) ? "server" : "client",
		       get_uint(a.a[LGR_R_TYPE]),
		       get_uint(a.a[LGR_R_VLAN_ID]),
		       get_uint(a.a[LGR_R_CONNS_NUM]));
		put_jstr(a.a[LGR_R_PNETID]);
		printf(",\"v2\":%s", a.a[LGR_R_V2_COMMON] ? "true" : "false");
		if (a.a[LGR_R_V2_COMMON]) {
			printf(",\"smc_version\":%" PRIu64 ",\"peer_host\":",
			       get_uint(v2c.a[LGR_V2_VER]));
			put_jstr(v2c.a[LGR_V2_PEER_HOST]);
			printf(",\"eid\":");
			put_jstr(v2c.a[LGR_V2_NEG_EID]);
		}
		if (a.a[LGR_R_V2])
			printf(",\"direct\":%" PRIu64,
			       get_uint(v2.a[LGR_R_V2_DIRECT]));
		printf("}\n");
	}
	if (t->a[GEN_LINK_SMCR]) {
		parse_nested(&a, t->a[GEN_LINK_SMCR]);
		printf("{\"link\":%" PRIu64 ",\"ibdev\":",
		       get_uint(a.a[LINK_ID]));
		put_jstr(a.a[LINK_IB_DEV]);
		printf(",\"ibport\":%" PRIu64 ",\"netdev_ifindex\":%" PRIu64
		       ",\"state\":%" PRIu64 ",\"conns\":%" PRIu64 ",\"gid\":",
		       get_uint(a.a[LINK_IB_PORT]),
		       get_uint(a.a[LINK_NET_DEV]),
		       get_uint(a.a[LINK_STATE]),
		       get_uint(a.a[LINK_CONN_CNT]));
		put_jstr(a.a[LINK_GID]);
		printf(",\"peer_gid\":");
		put_jstr(a.a[LINK_PEER_GID]);
		printf("}\n");
	}
}

static int cmd_linkgroups(int argc, char **argv)
{
	struct family f;

	(void)argv;
	if (argc)
		return -1;
	family_get(&f, GEN_FAMILY);
	/* GET_LINK_SMCR sends each link group followed by its links */
	dump(&f, NL_GET_LINK_SMCR, "linkgroups", lgr_reply, NULL);
	return 0;
}

static void dev_reply(const struct nlmsghdr *h, const struct attrs *t,
		      void *ctx)
{
	struct attrs d, p;
	int port;

	(void)h;
	(void)ctx;
	if (!t->a[GEN_DEV_SMCR])
		return;
	parse_nested(&d, t->a[GEN_DEV_SMCR]);
	printf("{\"ibdev\":");
	put_jstr(d.a[DEV_IB_NAME]);
	printf(",\"use_cnt\":%" PRIu64 ",\"ports\":[",
	       get_uint(d.a[DEV_USE_CNT]));
	for (port = 0; port < 2; port++) {
		if (!d.a[DEV_PORT + port])
			continue;
		parse_nested(&p, d.a[DEV_PORT + port]);
		printf("%s{\"port\":%d,\"valid\":%" PRIu64 ",\"state\":%"
		       PRIu64 ",\"netdev_ifindex\":%" PRIu64 ",\"links\":%"
		       PRIu64 ",\"pnetid_by_user\":%" PRIu64 ",\"pnetid\":",
		       port ? "," : "", port + 1,
		       get_uint(p.a[PORT_VALID]), get_uint(p.a[PORT_STATE]),
		       get_uint(p.a[PORT_NETDEV]), get_uint(p.a[PORT_LNK_CNT]),
		       get_uint(p.a[PORT_PNET_USR]));
		put_jstr(p.a[PORT_PNETID]);
		printf("}");
	}
	printf("]}\n");
}

static int cmd_devices(int argc, char **argv)
{
	struct family f;

	(void)argv;
	if (argc)
		return -1;
	family_get(&f, GEN_FAMILY);
	dump(&f, NL_GET_DEV_SMCR, "devices", dev_reply, NULL);
	return 0;
}

/* ------------------------------------------------------------------ main */

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: smcnl pnet add PNETID [--eth IFNAME] [--ib DEV [PORT]]\n"
"       smcnl pnet del PNETID | pnet flush | pnet show [PNETID]\n"
"       smcnl ueid add UEID | ueid del UEID | ueid flush | ueid show\n"
"       smcnl info        SMC version, SMC-Rv2 capability, host name\n"
"       smcnl stats       SMC and fallback connection counts (JSON)\n"
"       smcnl devices     RDMA devices SMC-R sees, per port PNETID\n"
"       smcnl linkgroups  SMC-R link groups and their links\n"
"pnet uses family SMC_PNETID (Linux 5.10+), the rest SMC_GEN_NETLINK\n"
"(5.11+).  Exit status: 0 ok, 1 kernel error, 2 usage, 3 unsupported.\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "pnet", cmd_pnet },
		{ "ueid", cmd_ueid },
		{ "stats", cmd_stats },
		{ "info", cmd_info },
		{ "devices", cmd_devices },
		{ "linkgroups", cmd_linkgroups },
	};
	unsigned int i;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (cmds[i].fn(argc - 2, argv + 2))
			usage(2);
		return 0;
	}
	usage(2);
	return 2;
}
