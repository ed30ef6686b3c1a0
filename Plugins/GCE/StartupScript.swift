/// The VM's startup script: fixed text, everything variable comes from instance metadata so
/// nothing from a user is ever spliced into shell. It fetches goldfish-agent, runs it with the
/// config from metadata, and deletes its own VM when the agent exits (one-shot job done,
/// idle timeout, lifetime). The agent does the rest (docs/warm-pool.md).
enum StartupScript {
  static let configKey = "goldfish-agent-config"
  static let agentURLKey = "goldfish-agent-url"

  static let text = #"""
    #!/bin/bash
    # goldfish: fetch goldfish-agent, run it, delete this VM when it exits.
    set -uo pipefail
    MD=http://metadata.google.internal/computeMetadata/v1
    md() { curl -fsS --retry 5 -H 'Metadata-Flavor: Google' "$MD/$1"; }
    token() { md instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'; }
    self_delete() {
      local zone name
      zone=$(md instance/zone) && name=$(md instance/name) || { shutdown -h now; exit 1; }
      curl -fsS -X DELETE -H "Authorization: Bearer $(token)" \
        "https://compute.googleapis.com/compute/v1/$zone/instances/$name" >/dev/null || shutdown -h now
    }
    trap self_delete EXIT
    mkdir -p /opt/goldfish
    md "instance/attributes/goldfish-agent-config" >/opt/goldfish/agent.json || exit 1
    url=$(md "instance/attributes/goldfish-agent-url") || exit 1
    curl -fsS --retry 5 -H "Authorization: Bearer $(token)" -o /opt/goldfish/goldfish-agent "$url" || exit 1
    chmod 0755 /opt/goldfish/goldfish-agent
    /opt/goldfish/goldfish-agent --config /opt/goldfish/agent.json
    """#
}
