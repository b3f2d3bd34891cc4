#!/usr/bin/env bash
# ensure-docker-engine.sh — make sure a Docker engine answers on this machine.
#
# Idempotent: exits 0 at once when `docker info` already answers. Otherwise it
# installs Debian's engine (docker.io) if dockerd is missing, clears a stale
# pid file, starts dockerd in the background (no systemd needed) and waits for
# it. Needs root. See tooling/scripts/README.md.
#
# Env:
#   CLAW_DOCKERD_LOG      dockerd log file            (default /var/log/claw-dockerd.log)
#   CLAW_DOCKERD_TIMEOUT  seconds to wait for engine  (default 60)
#   CLAW_DOCKERD_STORAGE  force a storage driver (overlay2|vfs); default: overlay2, vfs fallback
#   CLAW_DOCKERD_ARGS     extra dockerd arguments (word-split)
#   DOCKER_API_VERSION    passed through to the client; only needed for a client that
#                         refuses to negotiate down to the engine's API (1.41 for 20.10)
set -euo pipefail

LOG="${CLAW_DOCKERD_LOG:-/var/log/claw-dockerd.log}"
TIMEOUT="${CLAW_DOCKERD_TIMEOUT:-60}"
PIDFILE=/var/run/docker.pid

say() { printf '[ensure-docker] %s\n' "$*"; }
die() { printf '[ensure-docker] ERROR: %s\n' "$*" >&2; exit 1; }

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

# A pid is alive only if it exists and is not a zombie: PID 1 on some machines
# (and in containers) does not reap, so a killed dockerd/containerd lingers as
# <defunct>, `kill -0` still succeeds and dockerd would wait on a dead containerd.
pid_alive() { # $1 pid, $2 expected command name
  local stat state
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  state="${stat##*) }"; state="${state%% *}"
  [[ "$state" != Z && "$state" != X ]] || return 1
  [[ -z "${2:-}" ]] || grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null
}

command -v docker >/dev/null 2>&1 || NEED_CLIENT=1

if [[ -z "${NEED_CLIENT:-}" ]] && engine_up; then
  say "engine already answers ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?'))"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "not root and no engine answers; run as root (or start dockerd yourself)"

# --- install the engine if missing --------------------------------------------
if ! command -v dockerd >/dev/null 2>&1 || [[ -n "${NEED_CLIENT:-}" ]]; then
  say "dockerd not found: installing Debian's docker.io (apt)"
  export DEBIAN_FRONTEND=noninteractive
  # Without systemd the package's maintainer scripts may try to start the
  # service through /etc/init.d; forbid that for the install, we start it below.
  added_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io; } >/tmp/claw-docker-apt.log 2>&1 || rc=$?
  [[ -n "$added_policy" ]] && rm -f /usr/sbin/policy-rc.d
  if [[ $rc -ne 0 ]]; then
    tail -n 20 /tmp/claw-docker-apt.log >&2
    die "apt-get install docker.io failed (log: /tmp/claw-docker-apt.log)"
  fi
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd not on PATH"
  say "installed: $(dockerd --version)"
fi

# --- a dockerd that is running but not answering yet? -------------------------
if [[ -f "$PIDFILE" ]]; then
  oldpid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if pid_alive "$oldpid" dockerd; then
    say "dockerd (pid $oldpid) is running; waiting for it to answer"
    for ((i = 0; i < TIMEOUT; i++)); do
      engine_up && { say "engine answers"; exit 0; }
      sleep 1
    done
    grep -v '\[core\]' "$LOG" 2>/dev/null | tail -n 30 >&2 || true
    die "dockerd pid $oldpid runs but did not answer within ${TIMEOUT}s"
  fi
  say "removing stale pid file $PIDFILE (pid '${oldpid}' is dead)"
  rm -f "$PIDFILE"
fi
# The containerd that a killed dockerd had started dies with it but leaves its
# pid file; dockerd then waits for that dead containerd and gives up. Clear it.
ctrpid=/var/run/docker/containerd/containerd.pid
if [[ -f "$ctrpid" ]] && ! pid_alive "$(cat "$ctrpid" 2>/dev/null)" containerd; then
  say "removing stale containerd pid file $ctrpid"
  rm -f "$ctrpid"
fi

# --- start dockerd -------------------------------------------------------------
start_dockerd() { # $1 = storage driver
  local driver="$1"
  say "starting dockerd (storage-driver=$driver), log: $LOG"
  mkdir -p "$(dirname "$LOG")"
  printf '\n==== %s claw: dockerd start, storage-driver=%s ====\n' "$(date -Is)" "$driver" >>"$LOG"
  LOG_START_LINE=$(wc -l <"$LOG")
  # shellcheck disable=SC2086
  nohup setsid dockerd \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --storage-driver="$driver" \
    ${CLAW_DOCKERD_ARGS:-} \
    >>"$LOG" 2>&1 </dev/null &
  DOCKERD_PID=$!
}

wait_engine() { # returns 0 when up, 1 when dockerd died, 2 on timeout
  local t0=$SECONDS
  while ((SECONDS - t0 < TIMEOUT)); do
    engine_up && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || return 1
    sleep 1
  done
  return 2
}

t_start=$SECONDS
drivers=("${CLAW_DOCKERD_STORAGE:-overlay2}")
[[ -z "${CLAW_DOCKERD_STORAGE:-}" ]] && drivers+=(vfs)
for drv in "${drivers[@]}"; do
  start_dockerd "$drv"
  rc=0; wait_engine || rc=$?
  if [[ $rc -eq 0 ]]; then
    say "engine up in $((SECONDS - t_start))s: $(docker version --format 'server {{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}}' 2>/dev/null || echo '?')"
    exit 0
  fi
  # Fall back to the next driver only when this one is what failed.
  errs="$(tail -n +"$LOG_START_LINE" "$LOG" | grep -vE 'level=(info|debug|warning)' || true)"
  if [[ $rc -eq 1 ]] && grep -qiE 'graphdriver|storage.driver|driver not supported|overlay' <<<"$errs"; then
    say "dockerd could not use storage-driver=$drv:"
    grep -v '\[core\]' "$LOG" | tail -n 3 | sed 's/^/    /'
    continue
  fi
  break
done

say "last 40 lines of $LOG (grpc chatter left out):" >&2
tail -n +"$LOG_START_LINE" "$LOG" | grep -v '\[core\]' | tail -n 40 | sed 's/^/    /' >&2
kill "$DOCKERD_PID" 2>/dev/null || true
die "Docker engine did not answer within ${TIMEOUT}s"
