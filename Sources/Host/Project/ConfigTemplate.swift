import PluginKit

/// The goldfish.yaml that `goldfish init` writes: the choices it made, and why.
enum ConfigTemplate {
  static func render(
    name: String, backend: String, reason: String, slots: [String], dockerSocket: String? = nil
  )
    -> String
  {
    let docker =
      dockerSocket.map {
        """

        docker:
          # The Docker engine goldfish init found; stages run and images build there.
          socket: \((try? JSONCoding.encode(JSONValue.string($0))) ?? "\"\"")

        """
      } ?? ""
    return """
      # Goldfish project. Every key is described in docs/configuration.md;
      # `goldfish config show` prints the effective configuration with all defaults.
      project_name: \(name)
      slots: [\(slots.joined(separator: ", "))]

      jobs:
        # goldfish init chose \(backend): \(reason).
        backend: \(backend)
      \(docker)
      storage:
        backend: file

      audit:
        min_reason_length: 15
        # An agent's run (MCP) needs a results_spec and waits until ended runs are finalized;
        # goldfish run from a terminal only warns. The defaults:
        # require_results_spec: true
        # finalization_gate: true
        # enforce_on_cli: false

      state_md:
        path: STATE.md
        max_recent_actions: 15

      # Backups of the database and the versions go to the storage above, under backups/
      # (docs/backups.md). The file storage keeps its files in .goldfish/storage unless
      # file.root says otherwise; backups there die with .goldfish/, so automatic ones wait
      # until it points elsewhere (or storage is gcs).
      backup:
        enabled: true
        # automatic: true
        # rate_limit_seconds: 300

      """
  }
}
