"""Scores the model on the points and writes a short report."""
import json

from goldfish.io import get_output_path, load_input, log_metric, save_output

with open(load_input("features")) as handle:
    points = json.load(handle)["points"]
with open(load_input("model")) as handle:
    model = json.load(handle)
mse = sum((model["a"] * x + model["b"] - y) ** 2 for x, y in points) / len(points)
log_metric("mse", mse)
with open(get_output_path("report"), "w") as handle:
    json.dump({"mse": mse, "model": model}, handle)
save_output("report", get_output_path("report"))
print(f"mse={mse:.4f}")
