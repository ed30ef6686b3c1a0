import CAgentSupport
import Foundation
import PluginKit
import PluginSupport

// goldfish-agent --config FILE|-
// goldfish-agent slurm-stage|slurm-job|slurm-collect ... (SlurmStaging.swift)
// The warm worker: runs jobs from its mailbox one after another (docs/warm-pool.md).

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("goldfish-agent: \(message)\n".utf8))
  exit(2)
}

func readConfig(_ arguments: [String]) -> AgentConfig {
  guard arguments.count == 3, arguments[1] == "--config" else {
    fail("usage: goldfish-agent --config FILE   (FILE is a JSON AgentConfig, or - for stdin)")
  }
  let data: Data?
  if arguments[2] == "-" {
    data = FileHandle.standardInput.readDataToEndOfFile()
  } else {
    data = FileManager.default.contents(atPath: arguments[2])
  }
  guard let data else { fail("cannot read the config file \(arguments[2])") }
  do {
    let config = try JSONCoding.decode(AgentConfig.self, from: String(decoding: data, as: UTF8.self))
    try config.validate()
    return config
  } catch {
    fail("invalid config: \(error.message)")
  }
}

if CommandLine.arguments.count > 1, SlurmStaging.commands.contains(CommandLine.arguments[1]) {
  exit(SlurmStaging.main(CommandLine.arguments))
}
gf_agent_install_stop_handler()
let config = readConfig(CommandLine.arguments)
let store: any MailboxStore
do {
  GCSMailboxStore.register()
  store = try MailboxStores.open(config.mailbox, options: config.mailboxOptions)
} catch {
  fail(error.message)
}
// Orphans of a job come back to the agent, which reaps them instead of leaving zombies.
_ = gf_agent_become_subreaper()
func makeRunner(_ config: AgentConfig) -> any JobRunner {
  switch config.runner {
  case .process: return ProcessGroupRunner()
  case .container:
    do throws(PluginError) {
      return ContainerRunner(engine: try EngineAPI(host: config.dockerHost), workerId: config.workerId)
    } catch {
      fail(error.message)
    }
  }
}
let runner = makeRunner(config)
exit(Agent(config: config, store: store, runner: runner).run())
