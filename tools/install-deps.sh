#!/bin/sh
# install-deps.sh - install the Debian 12 packages Labyrinth needs to build,
# run and test. Installs only what is missing. As root it runs apt-get;
# otherwise it prints the exact command to run and fails. --quiet: say
# nothing when all is there (make run / make test call it first).
set -eu
quiet=""
[ "${1:-}" = "--quiet" ] && quiet=1

PKGS="build-essential nasm binutils gnu-efi grub-pc-bin grub-efi-amd64-bin grub-common \
xorriso mtools qemu-system-x86 ovmf clang python3 python3-pytest libjemalloc-dev \
graphviz gdb clang-format bear perl \
bochs bochsbios vgabios bochs-term"

# One dpkg-query for all of them (cheap enough to run before every make run).
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PKGS 2>/dev/null |
	awk '$1 == "ii" { printf "%s ", $2 }')"
missing=""
for p in $PKGS; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	[ -n "$quiet" ] || echo "install-deps: all packages present"
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
