/// The batch script of one run. Slurm's time limit is whole minutes and checked about once a
/// minute, so the script enforces `timeout_seconds` itself: the stage runs in a session of its
/// own, a watchdog ends that session (SIGTERM, SIGKILL 10 s later) and leaves a marker, and the
/// script writes the exit record last, by rename, before exiting with the stage's own code.
enum JobScript {
  static func text(
    runId: String, argv: [String], cwd: String, files: RunFiles, timeoutSeconds: Int?, runtime: String? = nil
  ) -> String {
    let command = argv.map(quote).joined(separator: " ")
    let timeout = timeoutSeconds ?? 0
    return """
      #!/bin/bash
      # goldfish run \(runId.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
      work=\(quote(files.workDir))
      now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
      started=$(now)
      record() {
        printf '{"exit_code": %d, "cause": "%s", "started_at": "%s", "finished_at": "%s", "job_id": "%s", "message": "%s"}\\n' \\
          "$1" "$2" "$started" "$(now)" "${SLURM_JOB_ID:-}" "${3:-}" >"$work/slurm-exit.json.tmp" &&
          mv -f "$work/slurm-exit.json.tmp" \(quote(files.exitRecord))
      }
      cd -- \(quote(cwd)) || { printf 'goldfish: cannot enter %s\\n' \(quote(cwd)) >&2; record 127 error; exit 127; }
      \(runtime.map(runtimeCheck) ?? "")
      # A cancel (scancel, DELETE) signals every process of the job: the script then leaves no
      # record, so the run's end is Slurm's CANCELLED, not the stage's exit code 143.
      stopping=
      trap 'stopping=1' TERM INT
      setsid \(command) </dev/null &
      child=$!
      watchdog=
      if [ \(timeout) -gt 0 ]; then
        setsid /bin/bash -c 'sleep "$1" || exit 0; : >"$2"; kill -TERM -- "-$3" 2>/dev/null; sleep 10; kill -KILL -- "-$3" 2>/dev/null' \\
          watchdog \(timeout) \(quote(files.timeoutMarker)) "$child" </dev/null >/dev/null 2>&1 &
        watchdog=$!
      fi
      wait "$child"
      code=$?
      while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
      [ -n "$watchdog" ] && kill -- "-$watchdog" 2>/dev/null
      # A scancel's signal may reach the stage before this script: a stage that died of a signal
      # gives the script's own a moment to arrive (the trap ends the wait at once), so a cancel
      # from outside goldfish is not recorded as the stage's failure.
      if [ -z "$stopping" ] && [ "$code" -gt 128 ] && [ ! -e \(quote(files.timeoutMarker)) ]; then
        sleep 2 </dev/null >/dev/null 2>&1 & wait $!
      fi
      [ -n "$stopping" ] && exit "$code"
      if [ -e \(quote(files.timeoutMarker)) ]; then record "$code" timeout; else record "$code" exit; fi
      exit "$code"

      """
  }

  /// A node without the container runtime fails the run with a cause that names it, not with
  /// a "command not found" buried in the log.
  static func runtimeCheck(_ program: String) -> String {
    let name = program.filter { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    let message =
      "the container runtime \(name) is not installed on node $(hostname); "
      + "install it there or set slurm.container.runtime: none"
    return "if ! command -v \(quote(program)) >/dev/null 2>&1; then printf 'goldfish: %s\\n' \"\(message)\" >&2; "
      + "record 127 error \"\(message)\"; exit 127; fi"
  }

  /// One word for bash: single quotes, each inner quote written as '\''.
  static func quote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
