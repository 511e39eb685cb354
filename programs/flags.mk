# The one place the build flags live (../Makefile and rejected/Makefile include it; test/programs reads
# them through `make print-cflags`). -fdebug-compilation-dir=. keeps absolute paths out of DWARF/BTF.
CLANG ?= clang-16
CFLAGS := -O2 -g -target bpf -mcpu=v3 -fdebug-compilation-dir=. -I/usr/include/x86_64-linux-gnu
