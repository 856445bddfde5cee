#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/guest/build.sh - build the test guest: a Debian cloud kernel and an
# initramfs holding static busybox, the virtio network modules and the test
# agent (test/guest/agent, run as /init)
#
# Usage: build.sh [DIR]		(default: build/guest in the source tree)
#
# Everything comes from Debian packages fetched with apt-get download. The
# pieces we use (kernel, modules, busybox) are kept in DIR/parts and fetched
# again only when missing; the initramfs is packed again whenever a script
# it holds is newer than it. On success DIR holds vmlinuz and initramfs.gz.

set -eu

SRC_DIR=$(cd "$(dirname "$0")" && pwd)
DIR="${1:-${SRC_DIR}/../../build/guest}"
mkdir -p "${DIR}"
DIR=$(cd "${DIR}" && pwd)
PARTS="${DIR}/parts"

# Network modules, in the order they must be loaded: each needs the ones
# before it
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
virtio_pci failover net_failover virtio_net"

# kernel_pkg() - Name the versioned kernel package the cloud metapackage
# depends on now
kernel_pkg() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null | \
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1
}

# fetch_parts() - Download the kernel and busybox packages, and keep only
# the kernel image, our modules (uncompressed: busybox insmod can't read
# .ko.xz) and the busybox binary
fetch_parts() {
	tmp="${DIR}/fetch"

	# A fresh machine may have no package lists yet
	pkg=$(kernel_pkg)
	if [ -z "${pkg}" ]; then
		apt-get update -q >/dev/null
		pkg=$(kernel_pkg)
	fi
	[ -n "${pkg}" ] || { echo "No linux-image-cloud-amd64 in apt" >&2; exit 1; }

	rm -rf "${tmp}" "${PARTS}"
	mkdir -p "${tmp}/root" "${PARTS}/modules"
	# apt drops to the _apt user where it can; as root in a private
	# directory it can't, and says so: that's expected
	(cd "${tmp}" && apt-get download -q "${pkg}" busybox-static) \
		>"${tmp}/log" 2>&1 || { cat "${tmp}/log" >&2; exit 1; }
	for deb in "${tmp}"/*.deb; do
		dpkg-deb -x "${deb}" "${tmp}/root"
	done

	cp "$(ls "${tmp}"/root/boot/vmlinuz-* | head -n 1)" "${PARTS}/vmlinuz"
	cp "${tmp}/root/bin/busybox" "${PARTS}/busybox"
	for m in ${MODULES}; do
		ko=$(find "${tmp}/root/lib/modules" \
			  \( -name "${m}.ko" -o -name "${m}.ko.xz" \) | head -n 1)
		[ -n "${ko}" ] || { echo "Module ${m} not in ${pkg}" >&2; exit 1; }
		case "${ko}" in
		*.xz)	xz -dc "${ko}" > "${PARTS}/modules/${m}.ko" ;;
		*)	cp "${ko}" "${PARTS}/modules/${m}.ko" ;;
		esac
	done
	echo "${MODULES}" > "${PARTS}/modules/order"
	echo "${pkg}" > "${PARTS}/kernel-package"

	rm -rf "${tmp}"
	touch "${PARTS}/.complete"
}

# pack() - Put the kernel in place and pack the initramfs
pack() {
	tree="${DIR}/initramfs"

	rm -rf "${tree}"
	mkdir -p "${tree}/bin" "${tree}/sbin" "${tree}/usr/bin" \
		 "${tree}/usr/sbin" "${tree}/lib" "${tree}/proc" \
		 "${tree}/sys" "${tree}/dev" "${tree}/tmp" "${tree}/etc"
	cp "${PARTS}/busybox" "${tree}/bin/busybox"
	cp -r "${PARTS}/modules" "${tree}/lib/modules"
	cp "${SRC_DIR}/agent" "${tree}/init"
	cp "${SRC_DIR}/udhcpc.script" "${tree}/bin/udhcpc.script"
	chmod 755 "${tree}/init" "${tree}/bin/udhcpc.script"

	# A pipeline's status is its last command's: without cpio (test/deps
	# not run yet) gzip alone would leave an empty archive in place, and
	# every later run would boot a guest that panics
	command -v cpio >/dev/null ||
		{ echo "No cpio: run test/deps first" >&2; exit 1; }
	(cd "${tree}" && find . | cpio -o -H newc --quiet) | \
		gzip -1 > "${DIR}/initramfs.gz.tmp"
	gzip -dc "${DIR}/initramfs.gz.tmp" | cpio -t --quiet 2>/dev/null |
		grep -qx init ||
		{ echo "Packing the initramfs failed" >&2; exit 1; }
	mv "${DIR}/initramfs.gz.tmp" "${DIR}/initramfs.gz"
	cp "${PARTS}/vmlinuz" "${DIR}/vmlinuz"
	rm -rf "${tree}"
}

[ -f "${PARTS}/.complete" ] || fetch_parts

for f in "${PARTS}/.complete" "${SRC_DIR}/agent" "${SRC_DIR}/udhcpc.script" \
	 "${SRC_DIR}/build.sh"; do
	if [ ! -f "${DIR}/initramfs.gz" ] || [ "${f}" -nt "${DIR}/initramfs.gz" ]
	then
		pack
		break
	fi
done
