#!/bin/sh
# install-deps.sh - install the Debian 12 packages Labyrinth needs to build,
# run and test. Installs only what is missing. As root it runs apt-get;
# otherwise it prints the exact command to run.
set -eu

PKGS="build-essential nasm binutils gnu-efi grub-pc-bin grub-efi-amd64-bin grub-common \
xorriso mtools qemu-system-x86 ovmf clang python3 python3-pytest libjemalloc-dev \
graphviz gdb clang-format bear perl \
bochs bochsbios vgabios bochs-term"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

echo "install-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; run:"
	echo "  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
