"""Reads the raw points (CSV: x,y) and scales x to [0, 1]."""
import csv
import json

from goldfish.io import get_output_path, load_input, log_metric, save_output

raw = load_input("raw")
path = raw / "points.csv" if raw.is_dir() else raw
with open(path, newline="") as handle:
    rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(handle)]
low = min(x for x, _ in rows)
high = max(x for x, _ in rows)
points = [((x - low) / (high - low), y) for x, y in rows]
log_metric("rows", len(points))
with open(get_output_path("features"), "w") as handle:
    json.dump({"points": points, "x_range": [low, high]}, handle)
save_output("features", get_output_path("features"))
print(f"preprocessed {len(points)} points")
