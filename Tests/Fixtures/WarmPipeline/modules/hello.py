"""Says which run it is, in its log and in its output."""
import os

from goldfish.io import get_output_path, save_output

run_id = os.environ["GOLDFISH_RUN_ID"]
print(f"hello from {run_id}")
with open(get_output_path("note"), "w") as handle:
    handle.write(run_id)
save_output("note", get_output_path("note"))
