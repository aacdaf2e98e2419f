# shellcheck shell=bash
#
# tools/vm/lib.sh - helpers shared by the tools/vm scripts (sourced, not run).
#
# Owns: the cache location (MMAPLAB_CACHE), the "mmaplab-vm:" stderr
# logging, the supported-host check (need_supported_host), and need_pkgs,
# which installs missing Debian packages on the host (or tells a non-root
# user the exact command to run) and refuses any that would bring a
# kernel image, kernel headers, a bootloader or an initramfs generator.
#
# Environment:
#   MMAPLAB_CACHE     cache directory (default: $HOME/.cache/mmaplab)
#   MMAPLAB_ANY_HOST  1: run on a host other than Debian 12 amd64 anyway

MMAPLAB_CACHE=${MMAPLAB_CACHE:-${HOME:-/root}/.cache/mmaplab}
export MMAPLAB_CACHE

# log MESSAGE...: one line on stderr, prefixed so it stands out from the
# output of the command being run in the VM.
log() {
	printf 'mmaplab-vm: %s\n' "$*" >&2
}

# die MESSAGE...: log an error and exit 1.
die() {
	log "error: $*"
	exit 1
}

# apt_update_once: run 'apt-get update' at most once per process (as root).
_mmaplab_apt_updated=0
apt_update_once() {
	if [[ $_mmaplab_apt_updated == 0 ]]; then
		log "apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
		_mmaplab_apt_updated=1
	fi
}

# is_root: true when running as root.
is_root() {
	[[ $(id -u) == 0 ]]
}

# need_supported_host: stop, saying why, unless this is a Debian 12 amd64
# host.  The kernels, their headers and linux-source-* all come from
# Debian 12's archive through this machine's own apt sources; elsewhere
# (Ubuntu, other Debian releases) apt offers other packages under other
# names, and a run would stop half-way.
need_supported_host() {
	local os arch
	[[ ${MMAPLAB_ANY_HOST:-0} == 1 ]] && return 0
	# shellcheck disable=SC1091 # the host's file
	os=$(. /etc/os-release 2>/dev/null &&
		printf '%s %s|%s' "${ID:-?}" "${VERSION_ID:-?}" "${PRETTY_NAME:-unknown}") ||
		os="? ?|unknown (no /etc/os-release)"
	arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
	[[ ${os%%|*} == "debian 12" && $arch == amd64 ]] && return 0
	log "error: this host is ${os#*|} ($arch); mmaplab's VM runs and selftests"
	log "need Debian 12 (bookworm) on amd64: the kernels, their headers and the"
	log "kselftest harness come from Debian 12's archive through this machine's"
	log "apt.  Use a Debian 12 machine, VM or container.  Nothing was installed"
	log "or downloaded.  (On Ubuntu, 'make module tools' for the running kernel"
	log "still work; MMAPLAB_ANY_HOST=1 tries the rest anyway, unsupported.)"
	exit 1
}

# Packages that never go on the host: kernel images and headers (their
# postinst hooks run the bootloader and initramfs generators), those
# generators and bootloaders.  A lane's headers are unpacked into the cache.
HOST_FORBIDDEN_RE='^(linux-(image|headers|kbuild|modules|base|signed|binary)|initramfs-tools|dracut|tiny-initramfs|grub|shim|systemd-boot|lilo|syslinux|extlinux)'

# refuse_kernel_pkgs PKG...: die if installing PKG... would install, as
# itself or as a dependency, a package of HOST_FORBIDDEN_RE (asked from
# apt's simulation, which needs no root).
refuse_kernel_pkgs() {
	local sim bad
	if ! sim=$(apt-get install -s -qq --no-install-recommends "$@" 2>&1); then
		# Missing or stale package lists: as root, update once and retry.
		if ! is_root || [[ $_mmaplab_apt_updated != 0 ]]; then
			die "apt cannot install $*: $(tail -n 1 <<<"$sim")"
		fi
		apt_update_once
		sim=$(apt-get install -s -qq --no-install-recommends "$@" 2>&1) ||
			die "apt cannot install $*: $(tail -n 1 <<<"$sim")"
	fi
	bad=$(awk '$1 == "Inst" { print $2 }' <<<"$sim" | { grep -E "$HOST_FORBIDDEN_RE" || true; } | tr '\n' ' ')
	[[ -z $bad ]] ||
		die "refusing to install $*: apt would also install ${bad% } (kernel packages, bootloaders and initramfs generators never go on this host)"
}

# pkg_installed PKG: true when the Debian package PKG is installed.
pkg_installed() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[[ $status == installed ]]
}

# need_pkgs PKG...: make sure the given Debian packages are installed.
# As root, missing ones are installed with apt-get; otherwise the exact
# command to run is printed and we exit 1.
need_pkgs() {
	local pkg missing=()
	for pkg in "$@"; do
		pkg_installed "$pkg" || missing+=("$pkg")
	done
	[[ ${#missing[@]} == 0 ]] && return 0

	refuse_kernel_pkgs "${missing[@]}"
	if ! is_root; then
		log "missing Debian packages: ${missing[*]}"
		log "install them with:"
		log "  sudo apt-get install --no-install-recommends ${missing[*]}"
		exit 1
	fi
	apt_update_once
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# apt_query CMD...: run an apt-cache query; if it prints nothing, the package
# lists may be missing or stale, so (as root) update them once and retry.
apt_query() {
	local out
	out=$("$@" 2>/dev/null || true)
	if [[ -z $out ]] && is_root && [[ $_mmaplab_apt_updated == 0 ]]; then
		apt_update_once
		out=$("$@" 2>/dev/null || true)
	fi
	printf '%s' "$out"
}

# candidate_version PKG: the version apt would install, or nothing.
candidate_version() {
	apt_query apt-cache policy "$1" |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}

# apt_download PKG[=VERSION] DIR: download PKG's .deb into DIR (without
# installing) and print the path of the downloaded file.
apt_download() {
	local pkg=$1 dir=$2 opts=() deb name=${1%%=*}
	mkdir -p "$dir"
	# As root apt drops to the _apt user to download, which cannot write to
	# a cache under /root; download as root then, without the warning.
	is_root && opts+=(-o APT::Sandbox::User=root)
	(cd "$dir" && apt-get download -qq "${opts[@]}" "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	deb=$(find "$dir" -maxdepth 1 -name "${name}_*.deb" -print | sort -V | tail -n 1)
	[[ -n $deb ]] || die "apt-get download $pkg left no .deb in $dir"
	printf '%s\n' "$deb"
}
