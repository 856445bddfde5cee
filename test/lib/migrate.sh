#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/migrate.sh - an independent decoder of migration streams, written
# from doc/migration.md and sharing no code with the daemon (TCP flows
# included), and a reader of the example hexdump in that document
#
# Source it after common.sh.

# mig_decode() - Decode a migration stream, version 2 or 3, one field a line:
#	magic HEX / version N / compat N / count N /
#	addr I ADDRESS/PREFIX FLAGS (version 3) /
#	ip6 ADDRESS, ip6_ll ADDRESS, ip4 ADDRESS (version 2) /
#	mac MAC / flows N /
#	then per TCP flow, its fixed record:
#	flow I guest|host GUEST_ADDRESS:PORT HOST_PEER:PORT unacked N
#	(the side that opened it; "unacked": bytes sent to the guest that it
#	hasn't acknowledged), then per flow its socket:
#	sock I state S sndq N notsent N rcvq N
# IPv4 addresses are dotted quads, IPv6 addresses eight groups of four hex
# digits, zeros not compressed; FLAGS are names joined by "+", "none" if
# none, with any reserved bits as "+0x..". Prints "error: ..." and fails on
# anything the document does not allow.
# $1:	Stream file
mig_decode() {
	od -An -v -tx1 "$1" | awk '
	function val(h,   i, v) {
		v = 0
		for (i = 1; i <= length(h); i++) {
			v = v * 16 - 1 + \
			    index("0123456789abcdef", substr(h, i, 1))
		}
		return v
	}
	function need(n) {
		if (pos + n > len) {
			print "error: stream ends at " len ", need " n \
			      " bytes at " pos
			exit 1
		}
	}
	function be(n,   i, v) {
		need(n)
		v = 0
		for (i = 0; i < n; i++)
			v = v * 256 + val(b[pos + i])
		pos += n
		return v
	}
	function hexs(n,   i, s) {
		need(n)
		s = ""
		for (i = 0; i < n; i++)
			s = s b[pos + i]
		pos += n
		return s
	}
	function ip4(   i, s) {
		need(4)
		s = val(b[pos])
		for (i = 1; i < 4; i++)
			s = s "." val(b[pos + i])
		pos += 4
		return s
	}
	function addr16(   i, s, mapped) {
		need(16)
		mapped = 1
		for (i = 0; i < 10; i++)
			if (b[pos + i] != "00")
				mapped = 0
		if (b[pos + 10] != "ff" || b[pos + 11] != "ff")
			mapped = 0
		if (mapped) {
			pos += 12
			return ip4()
		}
		s = ""
		for (i = 0; i < 16; i += 2)
			s = s (i ? ":" : "") b[pos + i] b[pos + i + 1]
		pos += 16
		return s
	}
	function flags(f,   s, names, i, bit) {
		split("USER HOST LINKLOCAL OBSERVED", names, " ")
		s = ""
		bit = 1
		for (i = 1; i <= 4; i++) {
			if (int(f / bit) % 2)
				s = s (s == "" ? "" : "+") names[i]
			bit *= 2
		}
		if (f >= 16)
			s = s (s == "" ? "" : "+") sprintf("0x%02x", f - f % 16)
		return s == "" ? "none" : s
	}
	function le16(   v) {
		need(2)
		v = val(b[pos]) + 256 * val(b[pos + 1])
		pos += 2
		return v
	}
	function side(   s, o, e, op, ep) {
		o = addr16()
		e = addr16()
		op = le16()
		ep = le16()
		return e ":" ep " " o ":" op
	}
	function mac(   i, s) {
		need(6)
		s = b[pos]
		for (i = 1; i < 6; i++)
			s = s ":" b[pos + i]
		pos += 6
		return s
	}
	{ for (i = 1; i <= NF; i++) b[len++] = $i }
	END {
		pos = 0
		magic = hexs(8)
		if (magic != "b1bb1d1b0bb1d1b0") {
			print "error: bad magic " magic
			exit 1
		}
		print "magic " magic
		version = be(4)
		compat = be(4)
		print "version " version
		print "compat " compat
		if (compat <= 3 && version >= 3) {
			n = be(1)
			print "count " n
			for (e = 0; e < n; e++) {
				a = addr16()
				p = be(1)
				f = be(1)
				if (p > (a ~ /:/ ? 128 : 32)) {
					print "error: entry " e \
					      " prefix length " p
					exit 1
				}
				print "addr " e " " a "/" p " " flags(f)
			}
		} else if (compat <= 2 && version >= 2) {
			print "ip6 " addr16()
			print "ip6_ll " addr16()
			print "ip4 " ip4()
		} else {
			print "error: no known version in " compat ".." version
			exit 1
		}
		print "mac " mac()
		nf = be(4)
		print "flows " nf
		for (f = 0; f < nf; f++) {
			ini = be(1)
			tgt = be(1)
			if (ini + tgt != 3 || ini < 1 || ini > 2) {
				print "error: flow " f " sides " ini " " tgt
				exit 1
			}
			s1 = side()
			s2 = side()
			pos += 4 + 4 + 4 + 2 + 4
			seq_to = be(4)
			seq_ack = be(4)
			pos += 12
			# Guest side: its endpoint is the guest; host side:
			# its endpoint is the peer
			split(ini == 2 ? s1 : s2, g, " ")
			split(ini == 2 ? s2 : s1, h, " ")
			print "flow " f " " (ini == 2 ? "guest" : "host") " " \
			      g[1] " " h[1] " unacked " (seq_to - seq_ack + \
			      4294967296) % 4294967296
		}
		for (f = 0; f < nf; f++) {
			pos += 8
			sndq = be(4)
			notsent = be(4)
			rcvq = be(4)
			pos += 30
			st = be(1)
			pos += 1
			print "sock " f " state " st " sndq " sndq " notsent " \
			      notsent " rcvq " rcvq
			if (st) {
				need(sndq + rcvq)
				pos += sndq + rcvq
			}
		}
		if (pos != len) {
			print "error: " len - pos " bytes after the end"
			exit 1
		}
	}'
}

# mig_hex() - A file's bytes as one string of hex digits
# $1:	File
mig_hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# mig_doc_hex() - The bytes of the example hexdump in doc/migration.md, as
# one string of hex digits; fails if an offset there is not the count of the
# bytes before it
# $1:	Document
mig_doc_hex() {
	awk '
	/^```hexdump$/ { on = 1; next }
	on && /^```$/ { on = 0; done = 1; next }
	!on { next }
	{
		if (sprintf("%04x", len) != $1) {
			print "offset " $1 " should be " \
			      sprintf("%04x", len) > "/dev/stderr"
			bad = 1
		}
		for (i = 2; i <= NF && $i ~ /^[0-9a-f][0-9a-f]$/; i++) {
			hex = hex $i
			len++
		}
	}
	END {
		if (!done || bad || !len)
			exit 1
		print hex
	}' "$1"
}
