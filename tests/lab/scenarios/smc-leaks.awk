# SPDX-License-Identifier: GPL-2.0
# smc-leaks.awk: reads the trace of the kprobe events that
# tests/lab/scenarios/smc-pair sets (_leak_watch) and prints the number of
# smc_socks that net/smc's abort/release race kept: sockets never freed
# (no destruct event after their last close) whose release ran inside an
# abort that drops the sock lock (smc_close_cancel_work()) and then takes
# the passive-closing sock_put() only if the state is still PEERABORTWAIT.
# The release got the lock in that window either by entering
# smc_close_active() then (state PEERABORTWAIT), or by being in it already
# (waiting without the lock in ACTIVE or APPCLOSEWAIT) and going round its
# state switch again. Events, one a line, in time order:
#   abort sk= st=   smc_close_active_abort() entered (its worker's pid)
#   abort_ret       it returned
#   close sk= st=   smc_close_active() entered (the releasing task's pid)
#   close_ret       it returned
#   destruct sk=    smc_destruct(): the socket is freed
# Used by the guest (smc-pair) and tests/lab/011; needs only awk.

# the value of "NAME=value" on this line, "" if none
function field(name, i) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}

{
	pid = $1
	sub(/.*-/, "", pid)
	ev = $0
	sub(/^.*\] [^ ]* +[0-9.]+: /, "", ev)
	ev = substr(ev, 1, index(ev, ":") - 1)
	sk = field("sk")
	st = field("st")
}

# states whose abort drops the lock and then checks for PEERABORTWAIT:
# ACTIVE 1, PEERCLOSEWAIT1/2 20/21, APPCLOSEWAIT1/2 22/23, PEERFINCLOSEWAIT 25
ev == "abort" {
	held[pid] = sk
	racy[pid] = st ~ /^(1|20|21|22|23|25)$/
	if (racy[pid] && (sk in closing))
		suspect[sk] = 1
}

ev == "abort_ret" {
	delete held[pid]
	delete racy[pid]
}

ev == "close" {
	closing[sk] = 1
	closer[pid] = sk
	for (p in held)
		if (held[p] == sk && racy[p])
			suspect[sk] = 1
}

ev == "close_ret" && (pid in closer) {
	delete closing[closer[pid]]
	delete closer[pid]
}

ev == "destruct" {
	delete suspect[sk]
	delete closing[sk]
}

END {
	n = 0
	for (k in suspect)
		n++
	print n
}
