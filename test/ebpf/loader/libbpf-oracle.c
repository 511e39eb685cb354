/* Test oracle: what libbpf itself makes of an object. Opens it, forces every program to XDP (libbpf 1.x
 * does not know the `xdp/<name>` spelling), loads it into the running kernel (which is what makes libbpf
 * relocate and link), then prints every map definition and every program's final instructions exactly as
 * libbpf handed them to BPF_PROG_LOAD. Built and run by libbpf-oracle.test.ts; needs root and libbpf-dev.
 *
 *   load <err>
 *   map <name> <type> <key_size> <value_size> <max_entries> <map_flags> <fd>
 *   prog <name> <section> <insn_cnt>
 *    <code hex> <dst> <src> <off> <imm>         (one line per slot)
 */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

static int warnings_only(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;

	if (argc != 2)
		return 2;
	libbpf_set_print(warnings_only);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 3;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	printf("load %d\n", bpf_object__load(obj));
	bpf_object__for_each_map(map, obj)
		printf("map %s %d %u %u %u %u %d\n", bpf_map__name(map), bpf_map__type(map), bpf_map__key_size(map),
		       bpf_map__value_size(map), bpf_map__max_entries(map), bpf_map__map_flags(map), bpf_map__fd(map));
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);

		printf("prog %s %s %zu\n", bpf_program__name(prog), bpf_program__section_name(prog), n);
		for (size_t i = 0; i < n; i++)
			printf(" %02x %d %d %d %d\n", insn[i].code, insn[i].dst_reg, insn[i].src_reg, insn[i].off, insn[i].imm);
	}
	bpf_object__close(obj);
	return 0;
}
