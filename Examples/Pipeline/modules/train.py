"""Fits y = a*x + b by gradient descent, logging the loss of every epoch."""
import json

from goldfish.io import get_config, get_output_path, load_input, log_metric, save_output

config = get_config()
epochs = int(config.get("epochs", 200))
rate = float(config.get("learning_rate", 0.5))
with open(load_input("features")) as handle:
    points = json.load(handle)["points"]
a = b = 0.0
for epoch in range(epochs):
    grad_a = sum(2 * (a * x + b - y) * x for x, y in points) / len(points)
    grad_b = sum(2 * (a * x + b - y) for x, y in points) / len(points)
    a, b = a - rate * grad_a, b - rate * grad_b
    loss = sum((a * x + b - y) ** 2 for x, y in points) / len(points)
    log_metric("loss", loss, step=epoch)
with open(get_output_path("model"), "w") as handle:
    json.dump({"a": a, "b": b}, handle)
save_output("model", get_output_path("model"))
print(f"trained: a={a:.3f} b={b:.3f} loss={loss:.4f}")
