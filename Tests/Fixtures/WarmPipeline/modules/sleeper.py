"""Waits long enough to be canceled or lose its worker, then writes its output."""
import os
import time

from goldfish.io import get_output_path, save_output

run_id = os.environ["GOLDFISH_RUN_ID"]
print(f"sleeping in {run_id}", flush=True)
time.sleep(120)
with open(get_output_path("note"), "w") as handle:
    handle.write(run_id)
save_output("note", get_output_path("note"))
