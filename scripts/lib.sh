# shellcheck shell=bash
# Shared shell functions of racefix's scripts: messages, the cache, the
# driver table, kernel resolution and the private apt configuration.
# Sourced by scripts/* and tests/*; depends on nothing but coreutils, awk,
# dpkg and apt.

RACEFIX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The cache of downloads and imports: /var/cache/racefix for root (DKMS
# builds run as root), else the user's cache directory.
if [ -z "${RACEFIX_CACHE:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		RACEFIX_CACHE=/var/cache/racefix
	else
		RACEFIX_CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/racefix
	fi
fi
RACEFIX_SERIES=$(awk '!/^#/ && NF { printf "%s%s", s, $1; s = " " }' "$RACEFIX_TOP/scripts/series.txt")
export RACEFIX_SERIES

# Exit status of a kernel racefix cannot serve (unsupported series, no
# headers, no source): the caller skips it, as DKMS does with 77.
EX_SKIP=77

msg() { printf 'racefix: %s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }
skip() { msg "skipping kernel ${KVER:-?}: $*"; exit "$EX_SKIP"; }

# drivers: print the driver table without comments; columns:
# driver module dir tree-path config
drivers() { grep -v '^#' "$RACEFIX_TOP/scripts/drivers.txt" | grep -v '^$'; }

# driver_field DRIVER COLUMN: one column (1-5) of a driver's row.
driver_field() {
	drivers | awk -v d="$1" -v c="$2" '$1 == d { print $c; f = 1 } END { exit !f }' ||
		die "unknown driver '$1' (known: $(drivers | awk '{ printf "%s ", $1 }'))"
}

# distro_of SERIES: the Debian codename that ships a series.
distro_of() { awk -v s="$1" '!/^#/ && $1 == s { print $2 }' "$RACEFIX_TOP/scripts/series.txt"; }

# series_named NAME: the series a name stands for, a series (5.10) or its
# Debian codename (bullseye); nothing for a name series.txt does not know.
series_named() {
	awk -v n="$1" '!/^#/ && ($1 == n || $2 == n) { print $1 }' "$RACEFIX_TOP/scripts/series.txt"
}

# series_of VERSION: 6.1.0-56-amd64 -> 6.1, 6.12.117+deb13-amd64 -> 6.12.
series_of() { printf '%s\n' "$1" | sed -nE 's/^([0-9]+\.[0-9]+).*/\1/p'; }

# upstream_of DEBVERSION: 6.12.117-1~deb12u1 -> 6.12.117
upstream_of() { printf '%s\n' "${1%%-*}"; }

# tree_version DIR: the Linux version (6.1.192) of a kernel tree's Makefile.
tree_version() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { if (v != "") print v "." p "." s }' "$1/Makefile"
}

# kernel_pkgversion KVER KDIR: the Debian package version of a kernel, from
# dpkg when its headers are installed, else from the headers' UTS_VERSION.
kernel_pkgversion() {
	local v
	v=$(dpkg-query -W -f='${Version}' "linux-headers-$1" 2>/dev/null) ||
		v=$(sed -nE 's/.*UTS_VERSION .* Debian ([^ ]+) .*/\1/p' \
			"$2"/include/generated/utsversion.h \
			"$2"/include/generated/compile.h 2>/dev/null | head -n 1)
	printf '%s\n' "$v"
}

# kernel_config KDIR SYMBOL: the value of a config symbol (m, y or empty).
kernel_config() {
	sed -n "s/^$2=//p" "$1/include/config/auto.conf" 2>/dev/null
}

# source_local SERIES VERSION: the directory of imported sources of
# linux-source-SERIES at VERSION already here: bundled with the package
# (sources/), or in the cache. Fails when there is none.
source_local() {
	local dir
	for dir in "$RACEFIX_TOP/sources/linux-source-$1_$2" "$RACEFIX_CACHE/src/linux-source-$1_$2"; do
		[ -f "$dir/.racefix-source" ] && { printf '%s\n' "$dir"; return 0; }
	done
	return 1
}

# serve_modules KVER [KDIR]: the modules racefix builds for a kernel: those
# of its drivers that the kernel's config builds as modules (=m).
serve_modules() {
	local kdir=${2:-/lib/modules/$1/build} module config
	drivers | while read -r _ module _ _ config; do
		[ "$(kernel_config "$kdir" "$config")" = m ] && echo "$module"
	done
}

# serve_check KVER [KDIR [online]]: fails, saying why, when racefix cannot
# serve a kernel: a series it does not serve, no headers, none of the
# drivers built as modules, or (unless "online": the caller may download)
# no imported sources of the kernel's exact Debian version.
serve_check() {
	local kver=$1 kdir=${2:-/lib/modules/$1/build} series kpkg
	series=$(series_of "$kver")
	case " $RACEFIX_SERIES " in
	*" $series "*) ;;
	*) echo "Linux ${series:-?} is not a series racefix serves ($RACEFIX_SERIES)"; return 1 ;;
	esac
	if [ ! -f "$kdir/Makefile" ] || [ ! -f "$kdir/include/config/auto.conf" ]; then
		echo "no kernel headers at $kdir (install linux-headers-$kver)"
		return 1
	fi
	if [ -z "$(serve_modules "$kver" "$kdir")" ]; then
		echo "its config builds none of the drivers as modules"
		return 1
	fi
	[ "${3:-}" = online ] && return 0
	kpkg=$(kernel_pkgversion "$kver" "$kdir")
	if ! source_local "$series" "$kpkg" >/dev/null; then
		echo "no sources of linux-source-$series ${kpkg:-?} here (make prepare KVER=$kver imports them)"
		return 1
	fi
}

# dkms_autoinstall_target: the kernel a running 'dkms autoinstall' works
# on; fails when this process is no dkms autoinstall.
dkms_autoinstall_target() {
	local -a a
	local i act='' k=''
	mapfile -d '' a </proc/$$/cmdline 2>/dev/null || return 1
	for ((i = 0; i < ${#a[@]}; i++)); do
		case ${a[i]} in
		autoinstall) act=1 ;;
		-k | --kernelver) k=${a[i + 1]:-} ;;
		-k=* | --kernelver=*) k=${a[i]#*=} ;;
		esac
	done
	[ -n "$act" ] || return 1
	k=${k:-$(uname -r)}
	printf '%s\n' "${k%%/*}"
}

# The private apt configuration: Debian's suites of all supported series,
# with its own lists, so that the host's apt state is never touched.
apt_private_setup() {
	local dir=$RACEFIX_CACHE/apt mirror=${RACEFIX_MIRROR:-http://deb.debian.org}
	local key=/usr/share/keyrings/debian-archive-keyring.gpg suite
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	{
		for suite in bullseye bookworm bookworm-backports trixie; do
			echo "deb [signed-by=$key] $mirror/debian $suite main"
		done
		for suite in bullseye-security bookworm-security trixie-security; do
			echo "deb [signed-by=$key] $mirror/debian-security $suite main"
		done
	} >"$dir/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=-
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir"
		-o APT::Sandbox::User=root)
	if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null)" ]; then
		msg "updating the private apt lists in $dir"
		apt-get "${APT_OPTS[@]}" -qq update >&2 || die "apt-get update failed"
	fi
}

# apt_newest PKG SERIES: the newest version of PKG for SERIES that the
# series' distro serves (its own suites and its security suite).
apt_newest() {
	local distro
	distro=$(distro_of "$2")
	apt-cache "${APT_OPTS[@]}" madison "$1" |
		awk -F' *[|] *' -v d="$distro" -v s="$2." '$3 ~ " " d "(-security)?/" && index($2, s) == 1 { print $2 }' |
		sort -V | tail -n 1
}

# apt_opts: the apt options to use; the host's own configuration unless
# RACEFIX_APT=private asks for the private one.
apt_opts() {
	APT_OPTS=(-o APT::Sandbox::User=root)
	[ "${RACEFIX_APT:-}" = private ] && apt_private_setup
	return 0
}
