#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/guest/qemu10.sh - unpack QEMU 10 (from bookworm-backports, which
# test/deps adds to the apt sources) under the build directory, beside
# Debian's QEMU 7.2, which the other groups go on using: QEMU 10 is the
# first to migrate a vhost-user back-end's own state (SET_DEVICE_STATE_FD)
#
# Usage: qemu10.sh [DIR]	(default: build/qemu10 in the source tree)
#
# The packages are fetched with apt-get download and unpacked with dpkg-deb
# once; their libraries are those of Debian's QEMU, installed by test/deps.
# On success DIR/qemu-system-x86_64 runs it, with its firmware, and prints
# nothing else; on failure, one line on stderr and status 1.

set -eu

SRC_DIR=$(cd "$(dirname "$0")" && pwd)
DIR="${1:-${SRC_DIR}/../../build/qemu10}"
SUITE=bookworm-backports
PKGS="qemu-system-x86/${SUITE} qemu-system-data/${SUITE} seabios/${SUITE}"
mkdir -p "${DIR}"
DIR=$(cd "${DIR}" && pwd)

# fetch() - Download and unpack the packages, write the wrapper
fetch() {
	tmp="${DIR}/fetch"
	rm -rf "${tmp}" "${DIR}/root"
	mkdir -p "${tmp}"
	# apt drops to the _apt user where it can; as root in a private
	# directory it can't, and says so: that's expected
	# shellcheck disable=SC2086 # a list of packages
	if ! (cd "${tmp}" && apt-get download -q ${PKGS}) >"${tmp}/log" 2>&1
	then
		echo "qemu10.sh: can't download QEMU 10 from ${SUITE}" \
		     "(run test/deps): $(tail -n 1 "${tmp}/log")" >&2
		exit 1
	fi
	for deb in "${tmp}"/*.deb; do
		dpkg-deb -x "${deb}" "${DIR}/root"
	done
	rm -rf "${tmp}"

	if ldd "${DIR}/root/usr/bin/qemu-system-x86_64" | grep -q "not found"
	then
		echo "qemu10.sh: libraries missing for QEMU 10 (run" \
		     "test/deps)" >&2
		exit 1
	fi

	cat >"${DIR}/qemu-system-x86_64" <<EOF
#!/bin/sh
exec "${DIR}/root/usr/bin/qemu-system-x86_64" \\
	-L "${DIR}/root/usr/share/qemu" -L "${DIR}/root/usr/share/seabios" "\$@"
EOF
	chmod 755 "${DIR}/qemu-system-x86_64"
	touch "${DIR}/.complete"
}

[ -f "${DIR}/.complete" ] || fetch
"${DIR}/qemu-system-x86_64" --version | grep -q "version 10\." || {
	echo "qemu10.sh: ${DIR} holds no QEMU 10" >&2; exit 1; }
