"""Command-line pieces shared by local.api and local.invoke: which function, in which setting."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from local import template as tpl
from local.container import lambda_variables, library_dirs

log = logging.getLogger("local")

_REEXEC_MARK = "LOCAL_API_REEXEC"


def pick_function(app: tpl.App, name: str | None) -> tpl.Function:
    """The function to serve: the named one, or the only one that has HttpApi routes."""
    routed = sorted({r.function for r in app.routes})
    if name is None and len(routed) != 1:
        raise tpl.TemplateError(f"pass --function, one of: {', '.join(routed) or '(none)'}")
    chosen = name or routed[0]
    if chosen not in app.functions:
        raise tpl.TemplateError(f"no function {chosen} in the template")
    return app.functions[chosen]


def reexec_with_layer_libraries(function: tpl.Function, module: str) -> None:
    """Restart this process with the layers' lib/ on LD_LIBRARY_PATH, if not there yet.

    The dynamic loader reads LD_LIBRARY_PATH once, at process start, so setting it
    later would not let lib_lightgbm.so find the layer's libgomp.
    """
    dirs = [str(d) for d in library_dirs(function)]
    if not dirs or os.environ.get(_REEXEC_MARK):
        return
    current = os.environ.get("LD_LIBRARY_PATH", "")
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": os.pathsep.join([*dirs, *filter(None, [current])]),
        _REEXEC_MARK: "1",
    }
    os.execve(sys.executable, [sys.executable, "-m", module, *sys.argv[1:]], env)


def function_env(
    function: tpl.Function, env_vars: Path | None, shell: Mapping[str, str]
) -> dict[str, str]:
    """The environment the handler sees: runtime variables, then the declared ones."""
    overrides = tpl.read_env_vars(env_vars) if env_vars else {}
    ignored = tpl.ignored_overrides(function, overrides)
    if ignored:
        log.warning("not declared in the template, ignored like sam does: %s", ", ".join(ignored))
    return {
        **lambda_variables(function, shell),
        **tpl.function_environment(function, overrides, shell),
    }


def configure_logging() -> None:
    """Our lines and werkzeug's access log on stderr; the root logger stays the handler's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("local", "werkzeug"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _pair(text: str) -> tuple[str, str]:
    """One `Key=Value`, as `sam local --parameter-overrides` takes them."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected Key=Value, got {text!r}")
    return key, value


def add_function_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared with local.invoke: which template, function and environment."""
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--from-build",
        action="store_true",
        help="run the `sam build` output (function + layers) instead of the source tree",
    )
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--function", help="function logical id (default: the routed one)")
    parser.add_argument("--env-vars", type=Path, help="JSON file, as `sam local --env-vars`")
    parser.add_argument(
        "--parameter-overrides", nargs="*", type=_pair, default=[], metavar="KEY=VALUE"
    )


def load_function(args: argparse.Namespace) -> tuple[tpl.App, tpl.Function]:
    """The template's routes and the function to run; exits with the reason if unusable."""
    source = args.build_dir / "template.yaml" if args.from_build else args.template
    if not source.is_file():
        hint = " (run `make build` first)" if args.from_build else ""
        raise SystemExit(f"error: {source} not found{hint}")
    try:
        app = tpl.read_app(source, dict(args.parameter_overrides))
        return app, pick_function(app, args.function)
    except tpl.TemplateError as exc:
        raise SystemExit(f"error: {exc}") from None


def shield_from_signals() -> None:
    """Let cleanup finish: Ctrl-C reaches the whole process group and a parent then sends
    SIGTERM too, and that second signal must not cut a shutdown short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
