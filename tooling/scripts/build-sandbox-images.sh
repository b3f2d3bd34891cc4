#!/usr/bin/env bash
# build-sandbox-images.sh — build Claw's sandbox images WITHOUT any image registry.
#
#   claw-sandbox:bookworm  debootstrap'd Debian bookworm (minbase) + bash coreutils
#                          curl git jq python3 ripgrep ca-certificates, user sandbox (1000)
#   claw-sandbox:busybox   tiny image: Debian's busybox-static + its applet symlinks
#
# Both are `docker import`ed from a rootfs tarball with USER sandbox,
# WORKDIR /workspace, ENV LANG=C.UTF-8, CMD ["sleep","infinity"].
# Idempotent: an image that already exists is skipped unless --force.
#
# Usage: build-sandbox-images.sh [--force] [bookworm] [busybox]   (default: both)
#
# Env:
#   CLAW_DEBIAN_MIRROR      Debian mirror for debootstrap (default: read from apt's sources)
#   CLAW_DEBOOTSTRAP_CACHE  .deb cache kept between builds (default /var/cache/claw-debootstrap)
#   CLAW_SANDBOX_IMAGE_PREFIX  image repository name (default claw-sandbox)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_NAME="${CLAW_SANDBOX_IMAGE_PREFIX:-claw-sandbox}"
SUITE=bookworm
PACKAGES="bash,coreutils,curl,git,jq,python3,ripgrep,ca-certificates"
CACHE_DIR="${CLAW_DEBOOTSTRAP_CACHE:-/var/cache/claw-debootstrap}"
RECIPE=1 # bump when the image contents change

say() { printf '[build-sandbox] %s\n' "$*"; }
die() { printf '[build-sandbox] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=""
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --force | -f) FORCE=1 ;;
    bookworm | busybox) TARGETS+=("$arg") ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done
((${#TARGETS[@]})) || TARGETS=(bookworm busybox)

# --- helpers -------------------------------------------------------------------
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

APT_UPDATED=""
apt_install() { # install Debian packages on the host if a command is missing
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$APT_UPDATED" ]]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# First Debian mirror apt is configured with for $SUITE (deb822 *.sources, then
# one-line *.list / sources.list), skipping security and disabled entries.
detect_mirror() {
  if [[ -n "${CLAW_DEBIAN_MIRROR:-}" ]]; then echo "$CLAW_DEBIAN_MIRROR"; return; fi
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    uri="$(awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i; if (line ~ /^[ \t]*#/) continue
          split(line, kv, ":"); key = tolower(kv[1]); val = substr(line, length(kv[1]) + 2)
          gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (key == "types") types = val; else if (key == "uris") uris = val
          else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
        }
        if (enabled == "no" || (" " types " ") !~ / deb /) next
        if ((" " suites " ") !~ (" " suite " ")) next
        split(uris, u, /[ \t]+/)
        if (u[1] ~ /security/) next
        print u[1]; exit
      }' "$f")"
    [[ -n "$uri" ]] && { echo "$uri"; return; }
  done
  uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -E 's/\[[^]]*\]//' |
    awk -v suite="$SUITE" '$1 == "deb" && $3 == suite && $2 !~ /security/ { print $2; exit }')"
  [[ -n "$uri" ]] && { echo "$uri"; return; }
  return 1
}

WORK=""
cleanup() {
  [[ -n "$WORK" && -d "$WORK" ]] || return 0
  # debootstrap mounts proc/sys inside the target; never rm -rf through a mount
  local m
  awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if awk -v w="$WORK" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    say "WARNING: mounts left under $WORK; not deleting it"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

import_rootfs() { # $1 rootfs dir, $2 image tag, $3 description
  local root="$1" tag="$2" desc="$3" old_id new_id
  old_id="$(docker image inspect "$tag" --format '{{.Id}}' 2>/dev/null || true)"
  tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
    docker import \
      --change 'USER sandbox' \
      --change 'WORKDIR /workspace' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["sleep","infinity"]' \
      --change "LABEL org.opencontainers.image.title=\"$tag\" org.opencontainers.image.description=\"$desc\" dev.claw.sandbox.recipe=\"$RECIPE\" dev.claw.sandbox.built=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"" \
      - "$tag" >/dev/null
  # with --force, drop the image this one replaced (unless a container still uses it)
  new_id="$(docker image inspect "$tag" --format '{{.Id}}')"
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || say "note: previous $tag image ${old_id:7:12} still in use, left in place"
  fi
}

image_size() { docker image inspect "$1" --format '{{.Size}}' | awk '{ printf "%.1f MB", $1 / 1e6 }'; }

# --- claw-sandbox:bookworm -----------------------------------------------------
build_bookworm() {
  local tag="$REPO_NAME:bookworm" t0=$SECONDS mirror root
  if [[ -z "$FORCE" ]] && image_exists "$tag"; then say "$tag exists, skipping (use --force to rebuild)"; return; fi
  command -v debootstrap >/dev/null 2>&1 || { say "installing debootstrap (apt)"; apt_install debootstrap; }
  mirror="$(detect_mirror)" || die "no Debian $SUITE mirror found in apt sources; set CLAW_DEBIAN_MIRROR"
  root="$WORK/bookworm"
  mkdir -p "$root" "$CACHE_DIR"
  say "debootstrap $SUITE (minbase) from $mirror — about 1 min; log: $WORK/debootstrap.log"
  if ! debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE_DIR" \
    "$SUITE" "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    [[ -f "$root/debootstrap/debootstrap.log" ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  say "debootstrap done in $((SECONDS - t0))s; adding user sandbox and trimming"
  chroot "$root" /usr/sbin/groupadd -g 1000 sandbox
  chroot "$root" /usr/sbin/useradd -u 1000 -g 1000 -m -d /home/sandbox -s /bin/bash sandbox
  install -d -o 1000 -g 1000 -m 0755 "$root/workspace" "$root/agent"
  chroot "$root" /usr/bin/apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/usr/share/lintian "$root"/usr/share/bash-completion
  find "$root/usr/lib" -name __pycache__ -type d -prune -exec rm -rf {} +
  : >"$root/etc/resolv.conf"; rm -f "$root/etc/hostname"
  # keep future apt-get installs in derived images just as lean
  printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
    >"$root/etc/dpkg/dpkg.cfg.d/01-claw-nodoc"
  say "importing $tag"
  import_rootfs "$root" "$tag" "Claw agent sandbox: Debian $SUITE minbase with bash coreutils curl git jq python3 ripgrep"
  rm -rf "$root"
  say "$tag built in $((SECONDS - t0))s ($(image_size "$tag"))"
}

# --- claw-sandbox:busybox ------------------------------------------------------
build_busybox() {
  local tag="$REPO_NAME:busybox" t0=$SECONDS root deb applet
  if [[ -z "$FORCE" ]] && image_exists "$tag"; then say "$tag exists, skipping (use --force to rebuild)"; return; fi
  root="$WORK/busybox"
  mkdir -p "$WORK/deb" "$root"
  say "fetching Debian's busybox-static package"
  [[ -n "$APT_UPDATED" ]] || { apt-get update -qq >/dev/null; APT_UPDATED=1; }
  # apt's _apt user must be able to write the download dir
  chmod 0777 "$WORK/deb"
  (cd "$WORK/deb" && apt-get download -qq busybox-static >/dev/null 2>&1) || die "apt-get download busybox-static failed"
  deb="$(ls "$WORK"/deb/busybox-static_*.deb)"
  dpkg-deb -x "$deb" "$WORK/deb/x"
  install -d -m 0755 "$root"/{bin,sbin,usr/bin,usr/sbin,etc,home,root,dev,proc,sys}
  install -m 0755 "$WORK/deb/x/bin/busybox" "$root/bin/busybox"
  "$root/bin/busybox" --list-full | while read -r applet; do
    [[ "$applet" == */* && "$applet" != bin/busybox ]] || continue
    [[ -e "$root/$applet" ]] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 0700 "$root/root"
  install -d -m 1777 "$root/tmp"
  install -d -o 1000 -g 1000 -m 0755 "$root/workspace" "$root/agent" "$root/home/sandbox"
  : >"$root/etc/resolv.conf"; : >"$root/etc/hosts"
  say "importing $tag"
  import_rootfs "$root" "$tag" "Claw test sandbox: static busybox, user sandbox (1000)"
  say "$tag built in $((SECONDS - t0))s ($(image_size "$tag"))"
}

# --- main ----------------------------------------------------------------------
if ! timeout 10 docker info >/dev/null 2>&1; then
  say "no Docker engine answers; running ensure-docker-engine.sh"
  "$HERE/ensure-docker-engine.sh"
fi
need_root=""
for t in "${TARGETS[@]}"; do
  if [[ -n "$FORCE" ]] || ! image_exists "$REPO_NAME:$t"; then need_root=1; fi
done
if [[ -n "$need_root" ]]; then
  [[ $(id -u) -eq 0 ]] || die "building needs root (debootstrap, chroot, chown)"
  WORK="$(mktemp -d /var/tmp/claw-sandbox-build.XXXXXX)"
fi
for t in "${TARGETS[@]}"; do "build_$t"; done
say "done: $(for t in "${TARGETS[@]}"; do printf '%s:%s ' "$REPO_NAME" "$t"; done)"
