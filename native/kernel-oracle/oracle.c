/*
 * xdpjit kernel oracle: runs an XDP object through the running kernel's BPF_PROG_TEST_RUN and prints what
 * happened in the same JSON lines `xdpjit run --jsonl --dump-maps` prints (design.md §4b, §5), so the two
 * can be compared line by line.
 *
 *   oracle OBJ [--prog NAME] [--maps FILE] [--ifindex N] [--meta]
 *              [--pcap FILE [--bench REPEAT]] [--dump-maps]
 *   oracle OBJ --verify-only [--prog NAME] [--strict]
 *   oracle OBJ --list                  the object's test-runnable XDP programs, without loading
 *   oracle --probe                     can this process create maps, load XDP and test-run it?
 *   oracle --floor --pcap FILE --bench N    the harness floor: a built-in `return XDP_PASS` program
 *
 * Output (stdout, one JSON object per line):
 *   {"meta":"program",...} / {"meta":"map",...}      with --meta: what was loaded (types, sizes, helpers)
 *   {"i":0,"action":"XDP_PASS","len":74,"hex":"..."} one per frame; the caller hashes "hex" into "sha1";
 *                                                    "metaLen":N when the output starts with N bytes of
 *                                                    XDP metadata (test_run copies from data_meta)
 *   {"i":3,"skipped":"..."}                          a frame the kernel cannot run (under ETH_HLEN, ...)
 *   {"i":9,"lruFull":"NAME"}                         --watch-lru: after frame 9 the LRU map is full, so
 *                                                    the next insertion evicts (§4b: not compared after)
 *   {"event":"ringbuf","i":0,"cpu":0,"map":"rb","data":".."}   --events: ring buffer records, read
 *                                                    after each frame without consuming them
 *   {"i":0,"action":"XDP_DROP","durationNs":12}       --bench: the kernel's own per-run figure
 *   {"map":"NAME","key":"..","value":".."}           --dump-maps, sorted by map name then key bytes
 *   {"program":"NAME","accepted":true,...}           --verify-only, one per program
 *   {"error":"...","log":"..."}                      a failure; exit 1 (rejected/failed) or 2 (bad input)
 *
 * Built by src/oracle/build.ts with gcc against Debian's libbpf-dev (1.1); never committed as a binary.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_BAD_INPUT 2

/* linux/if_ether.h ETH_HLEN: bpf_prog_test_run_xdp refuses data_size_in below it. */
#define ETH_HLEN_BYTES 14
/* Room for the linear part plus MAX_SKB_FRAGS pages of a multi-buffer frame, with growth by adjust_tail. */
#define OUT_CAPACITY (256 * 1024)
/* The verifier's log for a rejected program: the kernel keeps the tail when it does not fit. */
#define REJECT_LOG_SIZE (16 * 1024 * 1024)
#define STATS_LOG_SIZE (1024 * 1024)

/* Map types that exist on 6.x kernels but are newer than the Debian 12 uapi header. */
#ifndef BPF_MAP_TYPE_ARENA
#define BPF_MAP_TYPE_ARENA 33
#endif

/* ---- output ------------------------------------------------------------------------------------- */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void die(int code, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fputs("{\"error\":", stdout);
	json_string(stdout, msg);
	fputs("}\n", stdout);
	fflush(stdout);
	exit(code);
}

static const char HEX[] = "0123456789abcdef";

static void hex_into(char *dst, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = HEX[src[i] >> 4];
		dst[2 * i + 1] = HEX[src[i] & 15];
	}
	dst[2 * n] = 0;
}

static void print_hex(FILE *f, const unsigned char *src, size_t n)
{
	char chunk[1025];
	while (n > 0) {
		size_t k = n > 512 ? 512 : n;
		hex_into(chunk, src, k);
		fputs(chunk, f);
		src += k;
		n -= k;
	}
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		die(EXIT_FAILED, "out of memory allocating %zu bytes", n);
	return p;
}

/* libbpf's own messages: kept so a failed load can report them, echoed to stderr when debugging. */
static char *libbpf_msgs;
static size_t libbpf_msgs_len, libbpf_msgs_cap;

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[8192];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (getenv("XDPJIT_ORACLE_DEBUG"))
		fputs(line, stderr);
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_msgs_len + n + 1 > libbpf_msgs_cap) {
		libbpf_msgs_cap = (libbpf_msgs_len + n + 1) * 2;
		libbpf_msgs = realloc(libbpf_msgs, libbpf_msgs_cap);
		if (!libbpf_msgs)
			abort();
	}
	memcpy(libbpf_msgs + libbpf_msgs_len, line, n);
	libbpf_msgs_len += n;
	libbpf_msgs[libbpf_msgs_len] = 0;
	return 0;
}

/* ---- options ------------------------------------------------------------------------------------ */

struct options {
	const char *object;
	const char *prog;
	const char *maps;
	const char *pcap;
	unsigned ifindex;
	unsigned bench_repeat;
	int dump_maps;
	int verify_only;
	int strict;
	int meta;
	int probe;
	int list;
	int floor;
	int watch_lru;
	int events;
};

static struct options parse_options(int argc, char **argv)
{
	struct options o = { .ifindex = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--prog") && next) o.prog = argv[++i];
		else if (!strcmp(a, "--maps") && next) o.maps = argv[++i];
		else if (!strcmp(a, "--pcap") && next) o.pcap = argv[++i];
		else if (!strcmp(a, "--ifindex") && next) o.ifindex = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--bench") && next) o.bench_repeat = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--dump-maps")) o.dump_maps = 1;
		else if (!strcmp(a, "--verify-only")) o.verify_only = 1;
		else if (!strcmp(a, "--strict")) o.strict = 1;
		else if (!strcmp(a, "--meta")) o.meta = 1;
		else if (!strcmp(a, "--probe")) o.probe = 1;
		else if (!strcmp(a, "--list")) o.list = 1;
		else if (!strcmp(a, "--floor")) o.floor = 1;
		else if (!strcmp(a, "--watch-lru")) o.watch_lru = 1;
		else if (!strcmp(a, "--events")) o.events = 1;
		else if (a[0] != '-' && !o.object) o.object = a;
		else die(EXIT_BAD_INPUT, "bad usage at '%s' (see native/kernel-oracle/oracle.c)", a);
	}
	if (!o.object && !o.probe && !o.floor)
		die(EXIT_BAD_INPUT, "usage: oracle OBJ [--prog NAME] [--maps FILE] [--pcap FILE] [--dump-maps] "
				     "[--bench N] [--verify-only [--strict]] [--meta]");
	if (o.bench_repeat && !o.pcap)
		die(EXIT_BAD_INPUT, "--bench needs --pcap");
	return o;
}

/* ---- capabilities ------------------------------------------------------------------------------- */

/*
 * The verifier relaxes pointer-leak, speculation and uninitialised-stack rules for loaders with
 * CAP_PERFMON (kernel/bpf/verifier.c: env->allow_ptr_leaks = bpf_allow_ptr_leaks(), bypass_spec_v1...).
 * Root has it through CAP_SYS_ADMIN; strict mode keeps only what loading an XDP program needs.
 */
static void drop_to_bpf_and_net_admin(void)
{
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	data[CAP_NET_ADMIN / 32].effective |= 1u << (CAP_NET_ADMIN % 32);
	data[CAP_NET_ADMIN / 32].permitted |= 1u << (CAP_NET_ADMIN % 32);
	data[CAP_BPF / 32].effective |= 1u << (CAP_BPF % 32);
	data[CAP_BPF / 32].permitted |= 1u << (CAP_BPF % 32);
	if (syscall(SYS_capset, &hdr, data) != 0)
		die(EXIT_FAILED, "capset(CAP_BPF|CAP_NET_ADMIN): %s", strerror(errno));
}

/* ---- pcap --------------------------------------------------------------------------------------- */

struct frame {
	const unsigned char *data;
	uint32_t len;
};

struct capture {
	unsigned char *file;
	struct frame *frames;
	size_t count;
};

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Classic libpcap format (µs or ns timestamps, either byte order); LINKTYPE_ETHERNET only (§4). */
static struct capture read_pcap(const char *path)
{
	struct capture c = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		die(EXIT_BAD_INPUT, "cannot open capture %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	c.file = xmalloc((size_t)size);
	if (size < 24 || fread(c.file, 1, (size_t)size, f) != (size_t)size)
		die(EXIT_BAD_INPUT, "capture %s is truncated (%ld bytes)", path, size);
	fclose(f);
	uint32_t magic;
	memcpy(&magic, c.file, 4);
	int swap;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) swap = 1;
	else die(EXIT_BAD_INPUT, "%s is not a classic pcap file (magic %08x)", path, magic);
	uint32_t linktype = rd32(c.file + 20, swap) & 0x0fffffff;
	if (linktype != 1)
		die(EXIT_BAD_INPUT, "%s has link type %u, only LINKTYPE_ETHERNET (1) is accepted", path, linktype);
	size_t cap = 64;
	c.frames = xmalloc(cap * sizeof *c.frames);
	for (size_t off = 24; off < (size_t)size;) {
		if (off + 16 > (size_t)size)
			die(EXIT_BAD_INPUT, "%s: truncated record header at byte %zu", path, off);
		uint32_t incl = rd32(c.file + off + 8, swap);
		if (off + 16 + incl > (size_t)size)
			die(EXIT_BAD_INPUT, "%s: record at byte %zu claims %u bytes past the end", path, off, incl);
		if (c.count == cap) {
			cap *= 2;
			c.frames = realloc(c.frames, cap * sizeof *c.frames);
			if (!c.frames)
				die(EXIT_FAILED, "out of memory");
		}
		c.frames[c.count++] = (struct frame){ c.file + off + 16, incl };
		off += 16 + incl;
	}
	return c;
}

/* ---- maps file (design.md §5 --maps) ------------------------------------------------------------ */

struct fill_line {
	int lineno;
	char *map;
	unsigned char *key;
	size_t key_len;
	unsigned char *value; /* NULL when ref is set */
	size_t value_len;
	char *ref; /* "@NAME" value: a program (PROG_ARRAY) or a map (map-in-map) of the object */
};

struct fill {
	struct fill_line *lines;
	size_t count;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static unsigned char *parse_hex(const char *s, size_t *len, const char *path, int lineno)
{
	size_t n = strlen(s);
	if (n % 2)
		die(EXIT_BAD_INPUT, "%s:%d: odd number of hex digits in '%s'", path, lineno, s);
	unsigned char *out = xmalloc(n / 2);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die(EXIT_BAD_INPUT, "%s:%d: '%s' is not hex", path, lineno, s);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

static struct fill read_fill(const char *path)
{
	struct fill fl = { 0 };
	FILE *f = fopen(path, "r");
	if (!f)
		die(EXIT_BAD_INPUT, "cannot open maps file %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t linecap = 0;
	int lineno = 0;
	while (getline(&line, &linecap, f) >= 0) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *save = NULL;
		char *map = strtok_r(line, " \t\r\n", &save);
		if (!map)
			continue;
		char *key = strtok_r(NULL, " \t\r\n", &save);
		char *first = strtok_r(NULL, " \t\r\n", &save);
		if (!key || !first)
			die(EXIT_BAD_INPUT, "%s:%d: expected 'MAP KEYHEX VALUEHEX'", path, lineno);
		/* A value may be written in space-separated groups (one per field): they are one byte string. */
		char value[strlen(first) + strlen(save ? save : "") + 1];
		strcpy(value, first);
		for (char *more; (more = strtok_r(NULL, " \t\r\n", &save));) {
			if (first[0] == '@')
				die(EXIT_BAD_INPUT, "%s:%d: an @NAME value is one word", path, lineno);
			strcat(value, more);
		}
		fl.lines = realloc(fl.lines, (fl.count + 1) * sizeof *fl.lines);
		struct fill_line *l = &fl.lines[fl.count++];
		memset(l, 0, sizeof *l);
		l->lineno = lineno;
		l->map = strdup(map);
		l->key = parse_hex(key, &l->key_len, path, lineno);
		if (value[0] == '@')
			l->ref = strdup(value + 1);
		else
			l->value = parse_hex(value, &l->value_len, path, lineno);
	}
	free(line);
	fclose(f);
	return fl;
}

/* `.rodata`, `.rodata.NAME`: frozen after load, so they are set as the map's initial value instead. */
static int is_rodata_name(const char *name)
{
	return !strcmp(name, ".rodata") || !strncmp(name, ".rodata.", 8);
}

static struct bpf_map *fill_target(struct bpf_object *obj, const struct fill_line *l, const char *path)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, l->map);
	if (!m)
		die(EXIT_BAD_INPUT, "%s:%d: the object has no map '%s'", path, l->lineno, l->map);
	if (l->key_len != bpf_map__key_size(m))
		die(EXIT_BAD_INPUT, "%s:%d: key of '%s' is %zu bytes, the map's key size is %u", path, l->lineno,
		    l->map, l->key_len, bpf_map__key_size(m));
	if (!l->ref && l->value_len != bpf_map__value_size(m))
		die(EXIT_BAD_INPUT, "%s:%d: value of '%s' is %zu bytes, the map's value size is %u", path,
		    l->lineno, l->map, l->value_len, bpf_map__value_size(m));
	return m;
}

static void apply_rodata(struct bpf_object *obj, const struct fill *fl, const char *path)
{
	for (size_t i = 0; i < fl->count; i++) {
		const struct fill_line *l = &fl->lines[i];
		if (!is_rodata_name(l->map))
			continue;
		struct bpf_map *m = fill_target(obj, l, path);
		if (l->ref)
			die(EXIT_BAD_INPUT, "%s:%d: '%s' takes raw bytes, not @NAME", path, l->lineno, l->map);
		int err = bpf_map__set_initial_value(m, l->value, l->value_len);
		if (err)
			die(EXIT_BAD_INPUT, "%s:%d: setting %s: %s", path, l->lineno, l->map, strerror(-err));
	}
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Userspace sees a per-CPU value as one slot per possible CPU, each rounded up to 8 bytes. */
static size_t percpu_stride(const struct bpf_map *m)
{
	return (bpf_map__value_size(m) + 7) & ~(size_t)7;
}

static void apply_rest(struct bpf_object *obj, const struct fill *fl, const char *path, int ncpus)
{
	for (size_t i = 0; i < fl->count; i++) {
		const struct fill_line *l = &fl->lines[i];
		if (is_rodata_name(l->map))
			continue;
		struct bpf_map *m = fill_target(obj, l, path);
		enum bpf_map_type t = bpf_map__type(m);
		unsigned char ref_value[4];
		const unsigned char *value = l->value;
		size_t value_len = l->value_len;
		if (l->ref) {
			int fd = -1;
			if (t == BPF_MAP_TYPE_PROG_ARRAY) {
				struct bpf_program *p = bpf_object__find_program_by_name(obj, l->ref);
				if (!p)
					die(EXIT_BAD_INPUT, "%s:%d: no program '%s' in the object", path, l->lineno, l->ref);
				fd = bpf_program__fd(p);
			} else if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS) {
				struct bpf_map *inner = bpf_object__find_map_by_name(obj, l->ref);
				if (!inner)
					die(EXIT_BAD_INPUT, "%s:%d: no map '%s' in the object", path, l->lineno, l->ref);
				fd = bpf_map__fd(inner);
			} else {
				die(EXIT_BAD_INPUT, "%s:%d: @NAME values are for PROG_ARRAY and map-in-map maps; '%s' is neither",
				    path, l->lineno, l->map);
			}
			memcpy(ref_value, &fd, 4);
			value = ref_value;
			value_len = 4;
		}
		unsigned char *buf = NULL;
		if (is_percpu(t)) {
			size_t stride = percpu_stride(m);
			buf = xmalloc(stride * (size_t)ncpus);
			for (int c = 0; c < ncpus; c++)
				memcpy(buf + stride * c, value, value_len);
			value = buf;
		}
		if (bpf_map_update_elem(bpf_map__fd(m), l->key, value, BPF_ANY) != 0)
			die(EXIT_BAD_INPUT, "%s:%d: updating %s: %s", path, l->lineno, l->map, strerror(errno));
		free(buf);
	}
}

/* ---- object ------------------------------------------------------------------------------------- */

static const char *map_type_name(enum bpf_map_type t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH: return "hash";
	case BPF_MAP_TYPE_ARRAY: return "array";
	case BPF_MAP_TYPE_PROG_ARRAY: return "prog_array";
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: return "perf_event_array";
	case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case BPF_MAP_TYPE_LPM_TRIE: return "lpm_trie";
	case BPF_MAP_TYPE_ARRAY_OF_MAPS: return "array_of_maps";
	case BPF_MAP_TYPE_HASH_OF_MAPS: return "hash_of_maps";
	case BPF_MAP_TYPE_DEVMAP: return "devmap";
	case BPF_MAP_TYPE_CPUMAP: return "cpumap";
	case BPF_MAP_TYPE_XSKMAP: return "xskmap";
	case BPF_MAP_TYPE_QUEUE: return "queue";
	case BPF_MAP_TYPE_STACK: return "stack";
	case BPF_MAP_TYPE_DEVMAP_HASH: return "devmap_hash";
	case BPF_MAP_TYPE_RINGBUF: return "ringbuf";
	case BPF_MAP_TYPE_BLOOM_FILTER: return "bloom_filter";
	default: return "other";
	}
}

/*
 * The name `xdpjit run --dump-maps` uses: the ELF/BTF symbol name, or the section name for global data.
 * libbpf 1.1 names an internal map "<object-name-prefix>.rodata" (internal_map_name(); the object name
 * has no '.'), so the section name is everything from the first '.'.
 */
static const char *dump_name(const struct bpf_map *m)
{
	const char *n = bpf_map__name(m);
	if (bpf_map__is_internal(m)) {
		const char *dot = strchr(n, '.');
		if (dot)
			return dot;
	}
	return n;
}

static int is_xdp_entry(const struct bpf_program *p)
{
	/* xdp/devmap and xdp/cpumap programs run on redirect, and test_run refuses them. */
	enum bpf_attach_type at = bpf_program__expected_attach_type(p);
	return bpf_program__type(p) == BPF_PROG_TYPE_XDP && at != BPF_XDP_DEVMAP && at != BPF_XDP_CPUMAP;
}

static struct bpf_object *open_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	long err = libbpf_get_error(obj);
	if (err || !obj)
		die(EXIT_BAD_INPUT, "cannot open object %s: %s%s%s", path, strerror((int)(err ? -err : errno)),
		    libbpf_msgs ? "\n" : "", libbpf_msgs ? libbpf_msgs : "");
	/* LIBBPF_PIN_BY_NAME maps would be reused from /sys/fs/bpf across runs; every run starts fresh. */
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
	return obj;
}

static struct bpf_program *select_program(struct bpf_object *obj, const char *name, const char *path)
{
	struct bpf_program *p;
	if (name) {
		p = bpf_object__find_program_by_name(obj, name);
		if (!p)
			die(EXIT_BAD_INPUT, "%s has no program '%s'", path, name);
		if (!is_xdp_entry(p))
			die(EXIT_BAD_INPUT, "program '%s' of %s is not a test-runnable XDP program (section %s)", name,
			    path, bpf_program__section_name(p));
		return p;
	}
	bpf_object__for_each_program(p, obj)
		if (is_xdp_entry(p))
			return p;
	die(EXIT_BAD_INPUT, "%s has no XDP program", path);
}

/* Helper ids the program calls (call insns with src_reg 0), for the caller's comparison policy (§4b). */
static void print_program_meta(const struct bpf_program *p)
{
	const struct bpf_insn *insns = bpf_program__insns(p);
	size_t n = bpf_program__insn_cnt(p);
	char seen[1024] = { 0 };
	printf("{\"meta\":\"program\",\"name\":");
	json_string(stdout, bpf_program__name(p));
	printf(",\"section\":");
	json_string(stdout, bpf_program__section_name(p));
	printf(",\"frags\":%s,\"insns\":%zu,\"helpers\":[", (bpf_program__flags(p) & BPF_F_XDP_HAS_FRAGS) ? "true" : "false", n);
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 0 && insns[i].imm > 0 &&
		    insns[i].imm < (int)sizeof seen && !seen[insns[i].imm]) {
			seen[insns[i].imm] = 1;
		}
	}
	for (int id = 0; id < (int)sizeof seen; id++)
		if (seen[id]) {
			printf(first ? "%d" : ",%d", id);
			first = 0;
		}
	printf("]}\n");
}

static void print_map_meta(const struct bpf_map *m)
{
	printf("{\"meta\":\"map\",\"name\":");
	json_string(stdout, dump_name(m));
	printf(",\"type\":\"%s\",\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u}\n",
	       map_type_name(bpf_map__type(m)), bpf_map__key_size(m), bpf_map__value_size(m),
	       bpf_map__max_entries(m), bpf_map__map_flags(m));
}

/* ---- map dump ----------------------------------------------------------------------------------- */

struct dump_entry {
	const char *map;
	char *key;
	char *line;
};

struct dump {
	struct dump_entry *entries;
	size_t count, cap;
};

static void dump_push(struct dump *d, const char *map, char *key, char *line)
{
	if (d->count == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->entries = realloc(d->entries, d->cap * sizeof *d->entries);
		if (!d->entries)
			die(EXIT_FAILED, "out of memory");
	}
	d->entries[d->count++] = (struct dump_entry){ map, key, line };
}

static int dump_cmp(const void *a, const void *b)
{
	const struct dump_entry *x = a, *y = b;
	int c = strcmp(x->map, y->map);
	/* Keys of one map have one length, so lowercase hex order is key byte order. */
	return c ? c : strcmp(x->key, y->key);
}

static char *str_of_hex(const unsigned char *b, size_t n)
{
	char *s = xmalloc(2 * n + 1);
	hex_into(s, b, n);
	return s;
}

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_string(f, s);
	fclose(f);
	return buf;
}

struct id_names {
	uint32_t *ids;
	const char **names;
	size_t count;
};

static const char *name_of_id(const struct id_names *t, uint32_t id)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->ids[i] == id)
			return t->names[i];
	return NULL;
}

static void id_names_add(struct id_names *t, int fd, const char *name, int is_map)
{
	struct bpf_prog_info pinfo;
	struct bpf_map_info minfo;
	memset(&pinfo, 0, sizeof pinfo);
	memset(&minfo, 0, sizeof minfo);
	__u32 len = is_map ? sizeof minfo : sizeof pinfo;
	if (bpf_obj_get_info_by_fd(fd, is_map ? (void *)&minfo : (void *)&pinfo, &len) != 0)
		return;
	t->ids = realloc(t->ids, (t->count + 1) * sizeof *t->ids);
	t->names = realloc(t->names, (t->count + 1) * sizeof *t->names);
	t->ids[t->count] = is_map ? minfo.id : pinfo.id;
	t->names[t->count] = name;
	t->count++;
}

static int dumpable(enum bpf_map_type t)
{
	/* §5: RINGBUF, PERF_EVENT_ARRAY, QUEUE and STACK are event streams, not entries; the others here
	 * cannot be read back from userspace at all (XSKMAP lookups are EOPNOTSUPP, bloom filters have no
	 * keys). */
	switch ((int)t) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_ARENA:
	case BPF_MAP_TYPE_STRUCT_OPS:
		return 0;
	default:
		return 1;
	}
}

static int indexed(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PROG_ARRAY ||
	       t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_CPUMAP || t == BPF_MAP_TYPE_ARRAY_OF_MAPS;
}

static void dump_one(struct dump *d, const char *name, int fd, enum bpf_map_type t, const unsigned char *key,
		     size_t ksz, size_t vsz, size_t stride, int ncpus, const struct id_names *progs,
		     const struct id_names *maps)
{
	size_t vbuf_len = is_percpu(t) ? stride * ncpus : (vsz < 8 ? 8 : vsz);
	unsigned char *v = xmalloc(vbuf_len);
	if (bpf_map_lookup_elem(fd, key, v) != 0) {
		free(v);
		if (errno == ENOENT)
			return; /* an empty PROG_ARRAY/DEVMAP/CPUMAP/map-in-map slot holds nothing to report */
		die(EXIT_FAILED, "reading map %s: %s", name, strerror(errno));
	}
	char *keyhex = str_of_hex(key, ksz);
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	char *jname = json_of(name);
	fprintf(f, "{\"map\":%s,\"key\":\"%s\",", jname, keyhex);
	free(jname);
	if (is_percpu(t)) {
		fputs("\"values\":[", f);
		for (int c = 0; c < ncpus; c++) {
			fputs(c ? ",\"" : "\"", f);
			print_hex(f, v + stride * c, vsz);
			fputc('"', f);
		}
		fputs("]}", f);
	} else if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS) {
		/* The kernel answers a userspace lookup of an fd slot with the object's id. */
		uint32_t id;
		memcpy(&id, v, 4);
		const char *target = name_of_id(t == BPF_MAP_TYPE_PROG_ARRAY ? progs : maps, id);
		fputs("\"value\":", f);
		if (target) {
			char ref[512];
			snprintf(ref, sizeof ref, "@%s", target);
			char *j = json_of(ref);
			fputs(j, f);
			free(j);
		} else {
			fprintf(f, "\"@id:%u\"", id);
		}
		fputc('}', f);
	} else {
		fputs("\"value\":\"", f);
		print_hex(f, v, vsz);
		fputs("\"}", f);
	}
	fclose(f);
	free(v);
	dump_push(d, name, keyhex, line);
}

static void dump_maps(struct bpf_object *obj, int ncpus)
{
	struct id_names progs = { 0 }, maps = { 0 };
	struct bpf_program *p;
	struct bpf_map *m;
	bpf_object__for_each_program(p, obj)
		if (bpf_program__fd(p) >= 0)
			id_names_add(&progs, bpf_program__fd(p), bpf_program__name(p), 0);
	bpf_object__for_each_map(m, obj)
		if (bpf_map__fd(m) >= 0)
			id_names_add(&maps, bpf_map__fd(m), dump_name(m), 1);

	struct dump d = { 0 };
	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		int fd = bpf_map__fd(m);
		if (!dumpable(t) || fd < 0)
			continue;
		const char *name = dump_name(m);
		size_t ksz = bpf_map__key_size(m), vsz = bpf_map__value_size(m), stride = percpu_stride(m);
		if (indexed(t)) {
			for (uint32_t i = 0; i < bpf_map__max_entries(m); i++)
				dump_one(&d, name, fd, t, (unsigned char *)&i, 4, vsz, stride, ncpus, &progs, &maps);
			continue;
		}
		unsigned char *key = xmalloc(ksz), *next = xmalloc(ksz);
		int have = 0;
		while (bpf_map_get_next_key(fd, have ? key : NULL, next) == 0) {
			memcpy(key, next, ksz);
			have = 1;
			dump_one(&d, name, fd, t, key, ksz, vsz, stride, ncpus, &progs, &maps);
		}
		if (errno != ENOENT)
			die(EXIT_FAILED, "iterating map %s: %s", name, strerror(errno));
		free(key);
		free(next);
	}
	qsort(d.entries, d.count, sizeof *d.entries, dump_cmp);
	for (size_t i = 0; i < d.count; i++)
		puts(d.entries[i].line);
}

/* ---- frames ------------------------------------------------------------------------------------- */

static const char *action_name(uint32_t r, char *buf, size_t n)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" };
	if (r < 5)
		return names[r];
	snprintf(buf, n, "UNKNOWN(%u)", r);
	return buf;
}

static void pin_to_cpu0(void)
{
	/* bpf_prog_test_run_xdp refuses BPF_F_TEST_RUN_ON_CPU (only BPF_F_TEST_XDP_LIVE_FRAMES is accepted),
	 * and bpf_test_run() runs on the calling CPU with migration disabled: pinning the process is how
	 * per-CPU map slot 0 and bpf_get_smp_processor_id() == 0 are obtained. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die(EXIT_FAILED, "sched_setaffinity(CPU 0): %s", strerror(errno));
}

/*
 * A frame over 3,520 bytes runs as a multi-buffer xdp_buff (linear part + page fragments) whether or not the
 * program was loaded with BPF_F_XDP_HAS_FRAGS; the program sees the linear part.
 */
/*
 * An LRU map evicts only when no node is free (bpf_common_lru_pop_free: local list, then the global free
 * list, then __bpf_lru_list_shrink, which may evict a whole batch); with every update on CPU 0, a free node
 * exists until the map holds its capacity. Counting entries after each frame finds the first frame from which
 * an eviction may follow; evictions shrink the count again, so the end state alone would not tell.
 */
struct lru_watch {
	const char *name;
	int fd;
	uint32_t max_entries, capacity;
	unsigned char *token, *keys, *values;
	int full;
};

struct lru_watches {
	struct lru_watch *w;
	size_t count;
};

static struct lru_watches watch_lru_maps(struct bpf_object *obj, int ncpus)
{
	struct lru_watches ws = { 0 };
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		if (t != BPF_MAP_TYPE_LRU_HASH && t != BPF_MAP_TYPE_LRU_PERCPU_HASH)
			continue;
		ws.w = realloc(ws.w, (ws.count + 1) * sizeof *ws.w);
		struct lru_watch *w = &ws.w[ws.count++];
		uint32_t max = bpf_map__max_entries(m);
		size_t ksz = bpf_map__key_size(m);
		size_t vsz = t == BPF_MAP_TYPE_LRU_PERCPU_HASH ? percpu_stride(m) * ncpus : bpf_map__value_size(m);
		/* BPF_F_NO_COMMON_LRU gives each CPU its own list of max_entries / possible CPUs nodes. */
		uint32_t cap = (bpf_map__map_flags(m) & BPF_F_NO_COMMON_LRU) ? max / (uint32_t)ncpus : max;
		*w = (struct lru_watch){ dump_name(m), bpf_map__fd(m), max, cap, xmalloc(ksz < 8 ? 8 : ksz),
					 xmalloc(ksz * max), xmalloc(vsz * max), 0 };
	}
	return ws;
}

static uint32_t count_entries(struct lru_watch *w)
{
	uint32_t total = 0;
	for (int first = 1;; first = 0) {
		__u32 n = w->max_entries;
		int err = bpf_map_lookup_batch(w->fd, first ? NULL : w->token, w->token, w->keys, w->values, &n, NULL);
		total += n;
		if (err) {
			if (errno == ENOENT)
				return total;
			die(EXIT_FAILED, "counting LRU map %s: %s", w->name, strerror(errno));
		}
	}
}

static void check_lru_maps(struct lru_watches *ws, size_t frame)
{
	for (size_t k = 0; k < ws->count; k++) {
		struct lru_watch *w = &ws->w[k];
		if (w->full || count_entries(w) < w->capacity)
			continue;
		w->full = 1;
		printf("{\"i\":%zu,\"lruFull\":", frame);
		json_string(stdout, w->name);
		printf("}\n");
	}
}

/*
 * Records a program emits through RINGBUF maps, read after each frame, as `xdpjit run --jsonl` prints them
 * (`{"event":"ringbuf","i","cpu","map","data"}`).
 *
 * A ring buffer is read without consuming: the consumer position stays where it was, as in a test run
 * nobody reads, so bpf_ringbuf_query() and reservations see the buffer fill up as xdpjit's run does (no
 * consumer under `run`). The records are read straight from the mapping (kernel/bpf/ringbuf.c layout:
 * consumer page, producer page, then the data pages mapped twice), each an 8-byte header (length with the
 * BUSY and DISCARD bits) and its data, rounded up to 8 bytes.
 *
 * PERF_EVENT_ARRAY records are not read: reading them needs a perf event opened for the CPU's slot, and
 * that changes what the program sees (under a test run nobody opened one, so bpf_perf_event_output fails
 * with -ENOENT and nothing is recorded), which is what xdpjit's run mirrors.
 */
struct ring_reader {
	const char *name;
	const unsigned long *producer_pos;
	const unsigned char *data;
	uint64_t mask, pos;
};

struct event_readers {
	struct ring_reader *rings;
	size_t ring_count;
};

static size_t current_frame;

static void print_event(const char *kind, int cpu, const char *map, const void *data, size_t size)
{
	printf("{\"event\":\"%s\",\"i\":%zu,\"cpu\":%d,\"map\":", kind, current_frame, cpu);
	json_string(stdout, map);
	fputs(",\"data\":\"", stdout);
	print_hex(stdout, data, size);
	fputs("\"}\n", stdout);
}

static struct ring_reader map_ring(const struct bpf_map *m)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = bpf_map__max_entries(m);
	/* Producer page and data, read-only; the consumer page is left alone. */
	const unsigned char *base = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, bpf_map__fd(m), (off_t)page);
	if (base == MAP_FAILED)
		die(EXIT_FAILED, "mapping ring buffer %s: %s", dump_name(m), strerror(errno));
	return (struct ring_reader){ dump_name(m), (const unsigned long *)base, base + page, size - 1, 0 };
}

static void read_ring(struct ring_reader *r)
{
	uint64_t end = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	while (r->pos < end) {
		const unsigned char *hdr = r->data + (r->pos & r->mask);
		uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* cannot happen after a synchronous test run; stop rather than read a half record */
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			print_event("ringbuf", 0, r->name, hdr + BPF_RINGBUF_HDR_SZ, size);
		r->pos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~(uint64_t)7;
	}
}

static struct event_readers read_events(struct bpf_object *obj)
{
	struct event_readers r = { 0 };
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			continue;
		r.rings = realloc(r.rings, (r.ring_count + 1) * sizeof *r.rings);
		r.rings[r.ring_count++] = map_ring(m);
	}
	return r;
}

static void consume_events(struct event_readers *r)
{
	for (size_t k = 0; k < r->ring_count; k++)
		read_ring(&r->rings[k]);
}

static void run_frames(int prog_fd, const struct capture *c, const struct options *o, struct lru_watches *lru,
		       struct event_readers *events)
{
	unsigned char *out = xmalloc(OUT_CAPACITY);
	char namebuf[32];
	for (size_t i = 0; i < c->count; i++) {
		const struct frame *fr = &c->frames[i];
		if (fr->len < ETH_HLEN_BYTES) {
			printf("{\"i\":%zu,\"skipped\":\"frame of %u bytes is under ETH_HLEN (14): BPF_PROG_TEST_RUN refuses it\"}\n",
			       i, fr->len);
			continue;
		}
		/* xdp_md as test_run expects it: data 0, data_end the input size, no meta data, and an ingress
		 * device whose RX queue 0 is registered (lo). */
		struct xdp_md ctx = { .data = 0, .data_end = fr->len, .ingress_ifindex = o->ifindex }, ctx_out;
		memset(&ctx_out, 0, sizeof ctx_out);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = fr->data, .data_size_in = fr->len, .data_out = out,
			    .data_size_out = OUT_CAPACITY, .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .ctx_out = &ctx_out,
			    .ctx_size_out = sizeof ctx_out, .repeat = o->bench_repeat ? o->bench_repeat : 1);
		if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
			printf("{\"i\":%zu,\"skipped\":\"BPF_PROG_TEST_RUN failed: %s\"}\n", i, strerror(errno));
			continue;
		}
		const char *action = action_name(opts.retval, namebuf, sizeof namebuf);
		if (o->bench_repeat) {
			printf("{\"i\":%zu,\"action\":\"%s\",\"durationNs\":%u}\n", i, action, opts.duration);
			continue;
		}
		/* The kernel copies out from data_meta (bpf_prog_test_run_xdp: bpf_test_finish(..., xdp.data_meta,
		 * ...)), so the output is any XDP metadata followed by the frame, as `xdpjit run` reports it too;
		 * ctx_out.data is the metadata's length (xdp_convert_buff_to_md). */
		printf("{\"i\":%zu,\"action\":\"%s\",\"len\":%u,\"hex\":\"", i, action, opts.data_size_out);
		print_hex(stdout, out, opts.data_size_out);
		fputs("\"", stdout);
		if (ctx_out.data)
			printf(",\"metaLen\":%u", ctx_out.data);
		fputs("}\n", stdout);
		if (lru)
			check_lru_maps(lru, i);
		if (events) {
			current_frame = i;
			consume_events(events);
		}
	}
	free(out);
}

/*
 * bpf_prog_test_run_xdp() with repeat > 1 swaps the program into the XDP dispatcher and out again
 * (bpf_prog_change_xdp), an image update costing ~20 ms per call. A program already attached somewhere is
 * only reference-counted there, so for --bench the program is attached (generic mode) to the loopback of a
 * private network namespace, where it sees no traffic, and every frame's call costs just its runs.
 */
static void hold_in_xdp_dispatcher(int prog_fd)
{
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "oracle: unshare(CLONE_NEWNET): %s; each --bench call pays the dispatcher update\n",
			strerror(errno));
		return;
	}
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	int err = bpf_xdp_attach(1, prog_fd, XDP_FLAGS_SKB_MODE, &xo);
	if (err)
		fprintf(stderr, "oracle: attaching to the private lo: %s; each --bench call pays the dispatcher update\n",
			strerror(-err));
}

/* ---- verify-only -------------------------------------------------------------------------------- */

static long log_figure(const char *log, const char *prefix)
{
	const char *p = log ? strstr(log, prefix) : NULL;
	return p ? strtol(p + strlen(prefix), NULL, 10) : -1;
}

static int verify_program(const char *path, const char *name, char *log, const char *kernel)
{
	struct bpf_object *obj = open_object(path);
	struct bpf_program *target = bpf_object__find_program_by_name(obj, name), *p;
	/* Only the program under test is loaded, so one rejected program does not hide the verdicts of the
	 * others; its maps are still created, so map references verify as they would in a full load. */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == target);
	/* BPF_LOG_STATS (4) gives "processed N insns" and "verification time" without the per-insn trace. */
	log[0] = 0;
	bpf_program__set_log_buf(target, log, STATS_LOG_SIZE);
	bpf_program__set_log_level(target, 4);
	libbpf_msgs_len = 0;
	int err = bpf_object__load(obj);
	/*
	 * libbpf fills PROG_ARRAY `.values` slots after every program has loaded (bpf_object_init_prog_arrays),
	 * so a slot naming a program left unloaded here fails the object load after the verifier accepted the
	 * program under test. libbpf 1.1 names that failure; a verifier rejection reads "BPF program load failed".
	 */
	int only_slots_failed = err && libbpf_msgs && strstr(libbpf_msgs, "failed to initialize slot") &&
				!strstr(libbpf_msgs, "program load failed");
	int accepted = err == 0 || only_slots_failed;
	uint32_t verified = 0;
	if (only_slots_failed) {
		err = 0;
	} else if (accepted) {
		struct bpf_prog_info info;
		memset(&info, 0, sizeof info);
		__u32 len = sizeof info;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(target), &info, &len) == 0)
			verified = info.verified_insns;
	} else {
		/* Rejected: load again with the level-1 trace, which ends at the rule broken. */
		bpf_object__close(obj);
		obj = open_object(path);
		target = bpf_object__find_program_by_name(obj, name);
		bpf_object__for_each_program(p, obj)
			bpf_program__set_autoload(p, p == target);
		log[0] = 0;
		bpf_program__set_log_buf(target, log, REJECT_LOG_SIZE);
		bpf_program__set_log_level(target, 1 | 4);
		libbpf_msgs_len = 0;
		bpf_object__load(obj);
	}
	long processed = log_figure(log, "processed ");
	long usec = log_figure(log, "verification time ");
	printf("{\"program\":");
	json_string(stdout, name);
	printf(",\"section\":");
	json_string(stdout, bpf_program__section_name(target));
	printf(",\"accepted\":%s,\"insns\":%zu,\"processedInsns\":%ld,\"verifiedInsns\":%u,\"verificationTimeUs\":%ld,\"kernel\":",
	       accepted ? "true" : "false", bpf_program__insn_cnt(target), processed, verified, usec);
	json_string(stdout, kernel);
	printf(",\"log\":");
	json_string(stdout, log[0] ? log : (libbpf_msgs ? libbpf_msgs : ""));
	if (!accepted) {
		printf(",\"errno\":");
		json_string(stdout, strerror(-err));
	}
	printf("}\n");
	bpf_object__close(obj);
	return accepted;
}

static int verify_only(const struct options *o)
{
	struct utsname u;
	uname(&u);
	if (o->strict)
		drop_to_bpf_and_net_admin();
	char *log = xmalloc(REJECT_LOG_SIZE);
	/* Names first: each verdict reopens the object. */
	struct bpf_object *obj = open_object(o->object);
	char **names = NULL;
	size_t n = 0;
	if (o->prog) {
		/* Any XDP program verifies, xdp/devmap and xdp/cpumap ones included (only test runs refuse them). */
		struct bpf_program *p = bpf_object__find_program_by_name(obj, o->prog);
		if (!p || bpf_program__type(p) != BPF_PROG_TYPE_XDP)
			die(EXIT_BAD_INPUT, "%s has no XDP program '%s'", o->object, o->prog);
		names = xmalloc(sizeof *names);
		names[n++] = strdup(o->prog);
	} else {
		struct bpf_program *p;
		bpf_object__for_each_program(p, obj)
			if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) {
				names = realloc(names, (n + 1) * sizeof *names);
				names[n++] = strdup(bpf_program__name(p));
			}
		if (!n)
			die(EXIT_BAD_INPUT, "%s has no XDP program", o->object);
	}
	bpf_object__close(obj);
	int all = 1;
	for (size_t i = 0; i < n; i++)
		all &= verify_program(o->object, names[i], log, u.release);
	return all ? 0 : EXIT_FAILED;
}

/* ---- probe ------------------------------------------------------------------------------------- */

/* Everything the oracle needs from the kernel, in the smallest form: a map, an XDP load, one test run. */
/* `r0 = XDP_PASS; exit`: the probe's program and the bench floor (each side's cost of running nothing). */
static int load_pass_program(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdpjit_pass", "GPL", insns, 2, NULL);
	if (prog < 0)
		die(EXIT_FAILED, "bpf(BPF_PROG_LOAD) of a 2-instruction XDP program: %s", strerror(errno));
	return prog;
}

static int probe(void)
{
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xdpjit_probe", 4, 8, 1, NULL);
	if (map < 0)
		die(EXIT_FAILED, "bpf(BPF_MAP_CREATE): %s", strerror(errno));
	int prog = load_pass_program();
	unsigned char frame[64] = { 0 }, out[128];
	struct xdp_md ctx = { .data_end = sizeof frame, .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof frame, .data_out = out,
		    .data_size_out = sizeof out, .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .repeat = 1);
	if (bpf_prog_test_run_opts(prog, &opts) != 0)
		die(EXIT_FAILED, "bpf(BPF_PROG_TEST_RUN) with ingress_ifindex 1 (lo): %s", strerror(errno));
	if (opts.retval != XDP_PASS)
		die(EXIT_FAILED, "the probe program returned %u, not XDP_PASS", opts.retval);
	struct utsname u;
	uname(&u);
	printf("{\"ok\":true,\"kernel\":");
	json_string(stdout, u.release);
	printf(",\"possibleCpus\":%d}\n", libbpf_num_possible_cpus());
	fflush(stdout);
	return 0;
}

/* ---- main --------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static char stdout_buf[1 << 16];
	setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
	libbpf_set_print(on_libbpf_print);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	struct options o = parse_options(argc, argv);
	if (o.probe)
		return probe();
	if (o.list) {
		struct bpf_object *obj = open_object(o.object);
		struct bpf_program *p;
		bpf_object__for_each_program(p, obj)
			if (is_xdp_entry(p)) {
				printf("{\"meta\":\"program\",\"name\":");
				json_string(stdout, bpf_program__name(p));
				printf(",\"section\":");
				json_string(stdout, bpf_program__section_name(p));
				printf("}\n");
			}
		fflush(stdout);
		return 0;
	}
	if (o.verify_only) {
		int rc = verify_only(&o);
		fflush(stdout);
		return rc;
	}
	if (o.strict)
		drop_to_bpf_and_net_admin();
	if (o.floor) {
		if (!o.pcap || !o.bench_repeat)
			die(EXIT_BAD_INPUT, "--floor needs --pcap and --bench");
		struct capture floor_cap = read_pcap(o.pcap);
		int prog = load_pass_program();
		pin_to_cpu0();
		hold_in_xdp_dispatcher(prog);
		run_frames(prog, &floor_cap, &o, NULL, NULL);
		fflush(stdout);
		return 0;
	}
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die(EXIT_FAILED, "cannot count possible CPUs: %s", strerror(-ncpus));
	struct capture cap = { 0 };
	if (o.pcap)
		cap = read_pcap(o.pcap);
	struct fill fl = { 0 };
	if (o.maps)
		fl = read_fill(o.maps);

	struct bpf_object *obj = open_object(o.object);
	struct bpf_program *prog = select_program(obj, o.prog, o.object);
	apply_rodata(obj, &fl, o.maps);
	/* A rejected load is retried by libbpf at log level 1 into this buffer (bpf_object_load_prog). */
	char *log = xmalloc(REJECT_LOG_SIZE);
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
		if (p == prog)
			bpf_program__set_log_buf(p, log, REJECT_LOG_SIZE);
	libbpf_msgs_len = 0;
	int err = bpf_object__load(obj);
	if (err) {
		fputs("{\"error\":", stdout);
		char msg[512];
		snprintf(msg, sizeof msg, "loading %s into the kernel failed: %s", o.object, strerror(-err));
		json_string(stdout, msg);
		fputs(",\"log\":", stdout);
		json_string(stdout, log[0] ? log : (libbpf_msgs ? libbpf_msgs : ""));
		fputs("}\n", stdout);
		fflush(stdout);
		return EXIT_FAILED;
	}
	if (o.meta) {
		print_program_meta(prog);
		struct bpf_map *m;
		bpf_object__for_each_map(m, obj)
			print_map_meta(m);
	}
	apply_rest(obj, &fl, o.maps, ncpus);
	if (o.pcap) {
		pin_to_cpu0();
		if (o.bench_repeat > 1)
			hold_in_xdp_dispatcher(bpf_program__fd(prog));
		struct lru_watches lru = { 0 };
		if (o.watch_lru)
			lru = watch_lru_maps(obj, ncpus);
		struct event_readers events = { 0 };
		if (o.events && !o.bench_repeat)
			events = read_events(obj);
		run_frames(bpf_program__fd(prog), &cap, &o, o.watch_lru ? &lru : NULL,
			   o.events && !o.bench_repeat ? &events : NULL);
	}
	if (o.dump_maps)
		dump_maps(obj, ncpus);
	fflush(stdout);
	bpf_object__close(obj);
	return 0;
}
