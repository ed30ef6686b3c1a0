"""gcplocal plus the calls `goldfish gce doctor` makes, answered the way Google's APIs answer them.

gcplocal (PyPI) emulates Compute Engine's instances and operations; the doctor also asks for:
  GET  /compute/v1/projects/P/global/images/family/F   images.getFromFamily: 404 unless F is a family
       that really exists in public project P (the table below, from Google's image docs)
  GET  /compute/v1/projects/P/regions/R                regions.get, with `quotas` (a new project's
       defaults: CPUs, no GPUs)
  POST /v1/projects/P:testIamPermissions               Resource Manager: the permissions asked for
       that the caller holds, i.e. all of them unless denied below
  POST /_goldfish/deny {"project": P, "permissions": [...]}   test control: from now on P's callers
       lack those permissions (an empty list grants everything again)
Everything else is gcplocal's own. Run: python scripts/gcplocal_ext.py --host 127.0.0.1 --port N
"""

import argparse
import threading

from flask import jsonify, request

from gcplocal.server import create_app
from gcplocal.utils import error_response

# Public image families the default profiles and the docs name (Deep Learning VM "Choose an
# image", Debian and Ubuntu public images). Deprecated ones answer with `deprecated`, as Compute does.
FAMILIES = {
    "deeplearning-platform-release": {
        "common-cu129-ubuntu-2204-nvidia-580": None,
        "common-cu129-ubuntu-2404-nvidia-580": None,
        "common-cu128-ubuntu-2204-nvidia-570": None,
        "pytorch-2-9-cu129-ubuntu-2204-nvidia-580": None,
        "pytorch-2-9-cu129-ubuntu-2404-nvidia-580": None,
        "common-cu124-debian-11-py310": "DEPRECATED",
    },
    "debian-cloud": {"debian-12": None, "debian-13": None},
    "ubuntu-os-cloud": {"ubuntu-2204-lts": None, "ubuntu-2404-lts-amd64": None},
    "cos-cloud": {"cos-stable": None},
}

REGION_QUOTAS = [
    ("CPUS", 24.0), ("PREEMPTIBLE_CPUS", 0.0), ("IN_USE_ADDRESSES", 8.0), ("SSD_TOTAL_GB", 500.0),
    ("DISKS_TOTAL_GB", 4096.0), ("NVIDIA_H100_GPUS", 0.0), ("PREEMPTIBLE_NVIDIA_H100_GPUS", 0.0),
    ("NVIDIA_A100_GPUS", 0.0), ("PREEMPTIBLE_NVIDIA_A100_GPUS", 0.0), ("NVIDIA_T4_GPUS", 0.0),
    ("NVIDIA_L4_GPUS", 0.0),
]

denied = {}
lock = threading.Lock()


def extend(app):
    @app.route("/compute/v1/projects/<project>/global/images/family/<family>", methods=["GET"])
    def image_from_family(project, family):
        if family not in FAMILIES.get(project, {}):
            return error_response(
                404, f"The resource 'projects/{project}/global/images/family/{family}' was not found", "NOT_FOUND")
        image = {
            "kind": "compute#image", "name": f"{family}-v20261120", "family": family, "status": "READY",
            "selfLink": f"{request.host_url}compute/v1/projects/{project}/global/images/{family}-v20261120",
        }
        if FAMILIES[project][family]:
            image["deprecated"] = {"state": FAMILIES[project][family]}
        return jsonify(image)

    @app.route("/compute/v1/projects/<project>/regions/<region>", methods=["GET"])
    def region(project, region):
        return jsonify({
            "kind": "compute#region", "name": region, "status": "UP",
            "quotas": [{"metric": metric, "limit": limit, "usage": 0.0} for metric, limit in REGION_QUOTAS],
        })

    @app.route("/v1/projects/<project>:testIamPermissions", methods=["POST"])
    def test_iam_permissions(project):
        asked = (request.get_json(silent=True) or {}).get("permissions") or []
        with lock:
            missing = denied.get(project, set())
        return jsonify({"permissions": [p for p in asked if p not in missing]})

    @app.route("/_goldfish/deny", methods=["POST"])
    def deny():
        body = request.get_json(silent=True) or {}
        with lock:
            denied[body.get("project", "")] = set(body.get("permissions") or [])
        return jsonify({"denied": sorted(denied[body.get("project", "")])})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app()
    extend(app)
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
