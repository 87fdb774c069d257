"""Stands in for the python3.13 Lambda runtime in a bare `python3.13 -I -S` process.

Usage: python3.13 -I -S lambda_host.py SPEC.json. SPEC names sys.path (function root,
layers' python/, the runtime's boto3), the events to serve and where to write the
results; stdout is left to the function's logs. Imports only the stdlib until the
handler module is imported, as the runtime does.
"""

import json
import sys
from pathlib import Path

spec = json.loads(Path(sys.argv[1]).read_text())
stdlib = [entry for entry in sys.path if entry]
sys.path[:0] = spec["path"]


class Context:
    function_name = "PredictFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:PredictFunction"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/PredictFunction"
    log_stream_name = "local"

    def get_remaining_time_in_millis(self):
        return 30_000


module_name, _, handler_name = spec["handler"].rpartition(".")
handler = getattr(__import__(module_name, fromlist=[handler_name]), handler_name)
responses = {}
for name, path in spec["events"].items():
    response = handler(json.loads(Path(path).read_text()), Context())
    responses[name] = {"status": response["statusCode"], "body": response["body"]}


def foreign(file):
    """A module file from outside the allowed path: the test would not prove isolation."""
    if any(file.startswith(root + "/") for root in spec["path"]):
        return False
    return "site-packages" in file or not any(file.startswith(r + "/") for r in stdlib)


# This script shows up twice (joblib's multiprocessing aliases it as __mp_main__).
loaded = {getattr(m, "__file__", None) for m in list(sys.modules.values())} - {__file__}
maps = Path("/proc/self/maps").read_text().split("\n")
Path(spec["out"]).write_text(
    json.dumps(
        {
            "responses": responses,
            "foreign_modules": sorted(f for f in loaded if f and foreign(f)),
            "sklearn_modules": sorted(m for m in sys.modules if m.split(".")[0] == "sklearn"),
            "shared_objects": sorted({line.split()[-1] for line in maps if ".so" in line}),
        }
    )
)
