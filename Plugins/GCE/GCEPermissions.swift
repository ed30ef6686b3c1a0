/// Every IAM permission the gce backend's calls need, in one place: `goldfish gce doctor` tests
/// exactly these (docs/gce.md lists them with the roles that grant them).
enum GCEPermissions {
  /// Held by the host's credentials on the project (Resource Manager `projects.testIamPermissions`).
  static let project = [
    // instances.insert/get/list/delete and the insert's zone operation (ComputeAPI).
    "compute.instances.create", "compute.instances.get", "compute.instances.list", "compute.instances.delete",
    "compute.instances.setMetadata", "compute.instances.setLabels", "compute.zoneOperations.get",
    // The boot disk, the default network with an external address (InstanceRequest).
    "compute.disks.create", "compute.subnetworks.use", "compute.subnetworks.useExternalIp",
    // images.getFromFamily and regions.get (the doctor's own reads of boot images and quotas).
    "compute.images.getFromFamily", "compute.regions.get",
  ]
  /// Needed only when the VMs run as a chosen service account (`gce.service_account`).
  static let serviceAccount = ["compute.instances.setServiceAccount", "iam.serviceAccounts.actAs"]
  /// Held on the mailbox bucket (Cloud Storage `buckets.testIamPermissions`): jobs, code, inputs
  /// and the agent go up; records, logs and outputs come down; finished runs' folders are deleted.
  static let bucket = [
    "storage.objects.create", "storage.objects.get", "storage.objects.list", "storage.objects.delete",
  ]
  /// Held on the Artifact Registry repository when runs bring a stage image (the host pushes it).
  static let registry = [
    "artifactregistry.repositories.uploadArtifacts", "artifactregistry.repositories.downloadArtifacts",
  ]

  /// The predefined role that grants a permission, for the fix a missing one gets.
  static func role(for permission: String) -> String {
    if permission.hasPrefix("storage.") { return "roles/storage.objectAdmin" }
    if permission.hasPrefix("artifactregistry.") { return "roles/artifactregistry.writer" }
    if permission == "iam.serviceAccounts.actAs" { return "roles/iam.serviceAccountUser" }
    if permission.hasPrefix("compute.images.") || permission == "compute.regions.get" {
      return "roles/compute.viewer"
    }
    return "roles/compute.instanceAdmin.v1"
  }
}
