"""What every benchmark's project shares."""
import re


def pin_backend(config, backend="process", extra=""):
    """Make a project's run backend `backend`, whichever one `goldfish init` chose.

    init picks docker when an engine answers (bench/run.sh starts one, so DOCKER_HOST is set)
    and writes a `docker:` section: left alone, a row meant for the process backend would
    measure docker, and a row appending its own `docker:` section would repeat the key.
    """
    text = config.read_text()
    text = re.sub(r"(?m)^(jobs:\n(?:  #.*\n)*  backend: )\S+", lambda m: m.group(1) + backend, text, count=1)
    text = re.sub(r"(?m)^docker:\n(?:(?:  .*)?\n)*?(?=\S)", "", text)
    config.write_text(text + extra)
