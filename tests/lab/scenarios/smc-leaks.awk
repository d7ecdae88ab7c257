# SPDX-License-Identifier: GPL-2.0
# smc-leaks.awk: reads the trace of the kprobe events that
# tests/lab/scenarios/smc-pair sets (_leak_watch) and prints the number of
# what one of two bugs of net/smc leaked.
# Default: the smc_socks that the abort/release race kept: sockets never freed
# (no destruct event after their last close) whose release ran inside an
# abort that drops the sock lock (smc_close_cancel_work()) and then takes
# the passive-closing sock_put() only if the state is still PEERABORTWAIT.
# The release got the lock in that window either by entering
# smc_close_active() then (state PEERABORTWAIT), or by being in it already
# (waiting without the lock in ACTIVE or APPCLOSEWAIT) and going round its
# state switch again.
# With -v leak=accept: the connections whose link group and link
# references the accept queue dropped: a socket waiting on the listener's
# accept queue (never released: no close event) that an abort from ACTIVE
# or APPCLOSEWAIT1/2 (smc_conn_kill(): those states end CLOSED without
# smc_conn_free()) closed, and that accept() then dropped from the queue
# (smc_unhash_sk() called from smc_accept_dequeue(), its final sock_put()
# follows): nothing puts those references, so the link group and its
# link on the device stay for ever.
# Events, one a line, in time order:
#   abort sk= st=   smc_close_active_abort() entered (its worker's pid)
#   abort_ret       it returned
#   close sk= st=   smc_close_active() entered (the releasing task's pid)
#   close_ret       it returned
#   destruct sk=    smc_destruct(): the socket is freed
#   unhash sk= from=  smc_unhash_sk() and the function it returns to
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
	# ACTIVE 1, APPCLOSEWAIT1/2 22/23: CLOSED without smc_conn_free()
	if (st ~ /^(1|22|23)$/)
		killed[sk] = 1
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
	delete killed[sk]
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

ev == "unhash" && (sk in killed) && field("from") ~ /^smc_accept_dequeue\+/ {
	dropped++
	delete killed[sk]
}

ev == "destruct" {
	delete killed[sk]
	delete suspect[sk]
	delete closing[sk]
}

END {
	n = 0
	for (k in suspect)
		n++
	print (leak == "accept") ? dropped + 0 : n
}
