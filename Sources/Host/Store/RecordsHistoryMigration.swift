import GRDB

/// Indexes that keep list_history and finalize_run reading one page (or one row) however many
/// runs a workspace has: records of one stage in id order, results by value (sort_by metric),
/// finalized results in record order (finalized_only, and the previous finalized run of a stage
/// that a comparison needs) and by value, and the records of an experiment group.
enum RecordsHistoryMigration {
  static func v8(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE INDEX records_by_stage ON experiment_records(workspace, stage, id);
        CREATE INDEX run_results_by_value ON run_results(workspace, primary_value, record_id);
        CREATE INDEX run_results_finalized ON run_results(workspace, record_id) WHERE results_status = 'finalized';
        CREATE INDEX run_results_finalized_by_stage ON run_results(workspace, stage, record_id)
          WHERE results_status = 'finalized';
        CREATE INDEX run_results_finalized_by_value ON run_results(workspace, primary_value, record_id)
          WHERE results_status = 'finalized';
        CREATE INDEX records_by_group ON experiment_records(workspace, experiment_group, id)
          WHERE experiment_group IS NOT NULL;
        CREATE INDEX record_tags_by_version ON record_tags(workspace, version);
        """)
  }
}
