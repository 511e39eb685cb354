#!/usr/bin/env bash
# Debian packages the project needs beyond Node: clang-16 (programs/), libbpf-dev + bpftool (the kernel
# oracle's C helper), tcpdump (pcap interop checks), iputils-ping (the real-traffic test), prometheus (+ promtool) for the metrics tests.
# Idempotent: does nothing when everything is present; needs root (apt-get) otherwise.
set -euo pipefail
need=()
command -v clang-16 >/dev/null || need+=(clang-16)
command -v llvm-objdump-16 >/dev/null || need+=(llvm-16)
[ -f /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
command -v bpftool >/dev/null || need+=(bpftool)
command -v gcc >/dev/null || need+=(gcc)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ping >/dev/null || need+=(iputils-ping)
command -v promtool >/dev/null || need+=(prometheus)
[ -f /usr/include/asm/types.h ] || need+=(gcc-multilib)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${need[*]}; run as root or install them (tests that need them will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
