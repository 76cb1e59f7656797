#!/bin/busybox sh
# init.sh - /init of the initramfs that tools/bench_linux.py builds for
# `make bench-linux`: loads lab_bench.ko (its loops run in its init
# function), prints what the report needs on the serial console, each line
# prefixed "LINUX-BENCH " (the parser reads only those), and powers off.
# Everything runs even if a step fails: the parser names what is missing.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
say() { echo "LINUX-BENCH $*"; }
say "cmdline: $(cat /proc/cmdline)"
say "spectre_v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>&1)"
insmod /lab_bench.ko
say "insmod: $?"
# The module's lines and the kernel's heap auto-init setting, from the log
# buffer (quiet keeps KERN_INFO off the console).
dmesg | grep -e 'bench: ' -e 'mem auto-init' | while read -r line; do say "dmesg: $line"; done
say "end"
poweroff -f
