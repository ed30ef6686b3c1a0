/// The VM's startup script: fixed text, everything variable comes from instance metadata so
/// nothing from a user is ever spliced into shell. It downloads goldfish-agent with the VM's
/// token, refuses it unless its SHA-256 matches the metadata's, checks the VM can run
/// containers when the profile wants them, runs the agent with the config from metadata, and
/// deletes its own VM when the agent exits (one-shot job done, idle timeout, lifetime). A VM
/// that cannot run the agent says why in the mailbox (`workers/<id>/boot_error.txt`), where
/// the backend reads it. It installs nothing: the boot image brings Docker and drivers.
enum StartupScript {
  static let configKey = "goldfish-agent-config"
  static let agentURLKey = "goldfish-agent-url"
  static let agentSHA256Key = "goldfish-agent-sha256"
  static let runnerKey = "goldfish-agent-runner"
  static let bootErrorURLKey = "goldfish-boot-error-url"
  /// The image a warm worker was started for (list_workers reads it back).
  static let imageKey = "goldfish-image"

  static let text = #"""
    #!/bin/bash
    # goldfish: fetch goldfish-agent, verify it, run it, delete this VM when it exits.
    set -uo pipefail
    MD="http://${GCE_METADATA_HOST:-metadata.google.internal}/computeMetadata/v1"
    md() { curl -fsS --retry 5 -H 'Metadata-Flavor: Google' "$MD/$1"; }
    token() { md instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'; }
    self_delete() {
      local zone name
      zone=$(md instance/zone) && name=$(md instance/name) || { shutdown -h now; exit 1; }
      curl -fsS -X DELETE -H "Authorization: Bearer $(token)" \
        "https://compute.googleapis.com/compute/v1/$zone/instances/$name" >/dev/null 2>&1 || shutdown -h now
    }
    boot_error() {
      echo "goldfish: $1" >&2
      url=$(md "instance/attributes/goldfish-boot-error-url") &&
        curl -fsS -X POST -H "Authorization: Bearer $(token)" -H 'Content-Type: text/plain' \
          --data-binary "$1" "$url" >/dev/null
      exit 1
    }
    trap self_delete EXIT
    dir=/var/lib/goldfish
    mkdir -p "$dir"
    md "instance/attributes/goldfish-agent-config" >"$dir/agent.json" || boot_error "cannot read the agent config"
    url=$(md "instance/attributes/goldfish-agent-url") || boot_error "no goldfish-agent-url in the metadata"
    sum=$(md "instance/attributes/goldfish-agent-sha256") || boot_error "no goldfish-agent-sha256 in the metadata"
    curl -fsS --retry 5 -H "Authorization: Bearer $(token)" -o "$dir/goldfish-agent.download" "$url" ||
      boot_error "cannot download goldfish-agent from $url"
    echo "$sum  $dir/goldfish-agent.download" | sha256sum -c --status ||
      boot_error "the downloaded goldfish-agent does not have the SHA-256 $sum; not running it"
    chmod 0755 "$dir/goldfish-agent.download" && mv "$dir/goldfish-agent.download" "$dir/goldfish-agent"
    if [ "$(md instance/attributes/goldfish-agent-runner 2>/dev/null)" = container ]; then
      host=$(sed -n 's/.*"docker_host" *: *"unix:\/\/\([^"]*\)".*/\1/p' "$dir/agent.json")
      if [ -n "$host" ]; then
        for _ in $(seq 60); do curl -fsS --unix-socket "$host" http://docker/_ping >/dev/null 2>&1 && break; sleep 2; done
        curl -fsS --unix-socket "$host" http://docker/_ping >/dev/null 2>&1 ||
          boot_error "no Docker engine answers on $host: boot this profile from an image with Docker (boot_disk.image_family) or set agent_runner: process"
      fi
    fi
    if [ "$(md instance/attributes/install-nvidia-driver 2>/dev/null)" = True ]; then
      # The boot image installs the driver at first boot; it may take minutes (upstream §5.7 #45).
      for _ in $(seq 120); do nvidia-smi >/dev/null 2>&1 && break; sleep 5; done
      nvidia-smi >/dev/null 2>&1 ||
        boot_error "the profile asks for GPUs but no NVIDIA driver answers (nvidia-smi) after 10 minutes: use a GPU-ready boot image (boot_disk.image_family)"
    fi
    "$dir/goldfish-agent" --config "$dir/agent.json"
    """#
}
