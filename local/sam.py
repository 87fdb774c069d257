"""template.yaml read by SAM CLI's own code, the pieces `sam local` itself runs.

SamLocalStackProvider reads the template (parameters, Globals, intrinsics);
SamFunctionProvider and ApiProvider give the functions and the HTTP API's routes; SAM's
LocalLambdaRunner resolves a function's configuration and environment (an env-vars
file and the shell, as `--env-vars`) and calls local.runner.LocalRuntime where `sam
local` would start a Docker container. These are SAM CLI's internal, unversioned APIs:
uv.lock pins them and tests/unit/test_local_sam.py fails when they change.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Read by SAM whenever it would record an event: no telemetry from a local run.
os.environ["SAM_CLI_TELEMETRY"] = "0"
# Its notes about Docker and the IAM authorizer it cannot emulate do not apply here.
logging.getLogger("samcli").setLevel(logging.ERROR)

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner  # noqa: E402
from samcli.lib.providers.api_provider import ApiProvider  # noqa: E402
from samcli.lib.providers.sam_function_provider import SamFunctionProvider  # noqa: E402
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider  # noqa: E402

from local.runner import LocalRuntime  # noqa: E402
from local.s3 import EnvVars  # noqa: E402


@dataclass(frozen=True)
class Application:
    runner: Any  # LocalLambdaRunner: what LocalApigwService invokes
    api: Any  # Api: routes, stage, binary media types
    functions: Any  # SamFunctionProvider


def read(
    template: Path,
    env_vars: EnvVars | None = None,
    *,
    isolated: bool = False,
    snapstart: bool = False,
) -> Application:
    """The template's functions and API, with a runner that runs them in local containers.

    Paths in the template resolve against the working directory, as for `sam local`.
    """
    stacks, _ = SamLocalStackProvider.get_stacks(str(template))
    functions = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(
        local_runtime=LocalRuntime(isolated=isolated, snapstart=snapstart),
        function_provider=functions,
        cwd=str(Path.cwd()),
        real_path=str(Path.cwd()),
        env_vars_values=dict(env_vars or {}),
    )
    return Application(runner, ApiProvider(stacks).api, functions)


def function_config(template: Path, name: str, env_vars: EnvVars | None = None) -> Any:
    """SAM's FunctionConfig of one function: what local.runner.Layout.of lays out."""
    runner = read(template, env_vars).runner
    return runner.get_invoke_config(runner.get_function(name))


def routed_function(app: Application) -> str:
    """The one function behind the API's routes (`sam local invoke` without a name)."""
    names: list[str] = sorted({route.function_name for route in app.api.routes})
    if len(names) != 1:
        raise SystemExit(f"error: name the function, one of: {', '.join(names) or '(none)'}")
    return names[0]
