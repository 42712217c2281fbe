# Sourced by the fetch-*-dataset.sh scripts: where the cache, downloads and data live, and the
# steps they share. Set `name` (for log lines) before sourcing.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
downloads="$cache/downloads"
data=${DPGAN_DATA_DIR:-$repo/data}
mkdir -p "$downloads"

log() { printf '%s: %s\n' "$name" "$*" >&2; }

# is_complete DIR STAMP: DIR was built to completion with this STAMP.
is_complete() { [[ -f "$1/.complete" && "$(cat "$1/.complete")" == "$2" ]]; }

# check FILE SHA256: stop (and delete FILE) unless it has this checksum.
check() {
  echo "$2  $1" | sha256sum --check --status || { log "checksum mismatch for $1"; rm -f "$1"; exit 1; }
}

# fetch_deb PACKAGE VERSION SHA256: the architecture-all .deb into $downloads (apt-get update
# once, as root, when the package lists lack it), checked; prints its path.
apt_updated=0
fetch_deb() {
  local file="$downloads/${1}_${2//:/%3a}_all.deb"
  if [[ ! -f "$file" ]]; then
    log "apt-get download $1=$2"
    if ! (cd "$downloads" && apt-get download -q "$1=$2" >/dev/null 2>&1); then
      if [[ $apt_updated == 0 && $(id -u) == 0 ]]; then
        apt-get update -q >/dev/null; apt_updated=1
        (cd "$downloads" && apt-get download -q "$1=$2" >/dev/null)
      else
        log "cannot download $1=$2 (needs apt with Debian bookworm sources)"; exit 1
      fi
    fi
  fi
  check "$file" "$3"
  echo "$file"
}

# finish OUT STAMP: OUT.partial becomes OUT, marked complete.
finish() {
  rm -rf "$1"
  mv "$1.partial" "$1"
  echo "$2" >"$1/.complete"
}
