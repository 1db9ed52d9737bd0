# Sourced by scripts/build-image.sh and scripts/compose-smoke.sh: makes podman usable on machines whose processes
# may not raise resource limits (CI sandboxes without CAP_SYS_RESOURCE).
#
# Podman asks the OCI runtime for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 32768 in every container; without
# CAP_SYS_RESOURCE runc then fails with "error setting rlimits for ready process: ... operation not permitted"
# (podman 4.3 ignores `--ulimit host`). There, a containers.conf naming this machine's own limits (nproc below the
# kernel's pid_max, which runc also refuses to reach) and the runtime is written, and CONTAINERS_CONF points at it,
# so `podman run`, `podman build` and podman-compose all use it. Elsewhere nothing changes.
PODMAN_RUNTIME=${PODMAN_RUNTIME:-runc}

podman_fit_limits() {
  local caps nofile nproc pid_max conf
  caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  if [ -n "${CONTAINERS_CONF:-}" ] || (( (16#${caps:-0} >> 24) & 1 )); then
    return 0  # a configuration chosen by the caller, or a process that may raise its limits
  fi
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  [ "$nofile" = unlimited ] && nofile=1048576
  if [ "$nproc" = unlimited ] || [ "$nproc" -ge "$pid_max" ]; then nproc=$((pid_max - 1)); fi
  conf=${TMPDIR:-/tmp}/ashyq-containers.conf
  cat >"$conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "$PODMAN_RUNTIME"
CONF
  export CONTAINERS_CONF=$conf
  echo "podman: no CAP_SYS_RESOURCE here; containers get this machine's limits (nofile $nofile, nproc $nproc) via $conf"
}
