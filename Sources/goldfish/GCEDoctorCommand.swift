import ArgumentParser
import Foundation
import Host
import PluginKit

/// `goldfish gce doctor`: the gce backend's prerequisites in this project's cloud.
struct GCECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gce", abstract: "Google Compute Engine: check a project before running on it.",
    subcommands: [GCEDoctorCommand.self])
}

struct GCEDoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check the APIs, permissions, bucket, registry, agent upload, boot images and quotas gce runs need.",
    discussion: "Exits 1 when any check failed; each failed check names its fix.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let diagnosis = try BackendDoctor.run(try projectOptions.openProject(), backend: "gce")
    if json {
      try Console.json(diagnosis)
    } else {
      for check in diagnosis.checks {
        Console.print(
          "\(check.status.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0))"
            + "\(check.name): \(check.detail)")
        if let fix = check.fix, check.status != .ok { Console.print("        fix: \(fix)") }
      }
      Console.print(diagnosis.passed ? "gce doctor: ready" : "gce doctor: not ready (see the fixes above)")
    }
    if !diagnosis.passed { throw ExitCode(1) }
  }
}
