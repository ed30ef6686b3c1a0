/// A stage whose loss grows 1.5× a step and that polls `should_stop()` between steps: metric
/// health's divergence rule stops it when auto stop is on.
enum DivergingStage {
  static func script(steps: Int) -> String {
    """
    import time
    from goldfish.io import flush_metrics, get_output_path, log_metric, save_output, should_stop

    loss = 1.0
    for step in range(\(steps)):
        if should_stop():
            print("stopping on request at step", step)
            break
        log_metric("loss", loss, step=step)
        flush_metrics()
        loss *= 1.5
        time.sleep(0.1)
    with open(get_output_path("features"), "w") as handle:
        handle.write("{}")
    save_output("features", get_output_path("features"))

    """
  }
}
