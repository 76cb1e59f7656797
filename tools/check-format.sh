#!/bin/sh
# check-format.sh - fail if any tracked C file differs from .clang-format.
# `make format` rewrites them.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || true)
[ -n "$files" ] || { echo "check-format: no tracked C files"; exit 0; }
bad=""
for f in $files; do
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		bad="$bad $f"
	fi
done
if [ -n "$bad" ]; then
	echo "check-format: these files differ from .clang-format (run 'make format'):"
	for f in $bad; do echo "  $f"; done
	exit 1
fi
echo "check-format: $(echo "$files" | wc -w) files formatted"
