"""Read functions, HttpApi routes and environment from a SAM template, the way SAM local does.

Only what a local run needs is resolved: parameter defaults (or overrides), pseudo
parameters, conditions and the common intrinsics. Values that only exist once deployed
(`Fn::GetAtt`, `Fn::ImportValue`) stay unresolved and, as in `sam local`, become "".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::StackName": "local",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/local/local",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
# Lambda's own defaults when the template (and its Globals) leave them out.
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template cannot be served locally (missing function, S3 CodeUri, ...)."""


class _NoValue:
    """`AWS::NoValue`: the enclosing property disappears."""


class _Unresolved:
    """A value only CloudFormation can know (an ARN, an export)."""


NO_VALUE = _NoValue()
UNRESOLVED = _Unresolved()


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # "/predict", "/items/{id}", "/{proxy+}", or "$default"
    function: str

    @property
    def key(self) -> str:
        """The HTTP API route key, as it appears in the event's routeKey."""
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    runtime: str
    timeout: int
    memory: int
    variables: dict[str, str]  # the declared environment, template values stringified
    logging: dict[str, str]


@dataclass(frozen=True, slots=True)
class App:
    functions: dict[str, Function]
    routes: tuple[Route, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (!Ref, !Sub, ...) into their long form."""


def _construct_tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix if suffix != "Condition" else "Condition": value}


_Loader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"{path} is not a SAM template (no Resources)")
    return data


class _Resolver:
    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        declared = template.get("Parameters") or {}
        unknown = set(parameters) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameter override(s): {', '.join(sorted(unknown))}")
        self.values: dict[str, Any] = dict(PSEUDO_PARAMETERS)
        for name, spec in declared.items():
            value = parameters.get(name, spec.get("Default"))
            if value is not None and spec.get("Type") == "CommaDelimitedList":
                value = str(value).split(",")
            if value is not None:
                self.values[name] = value
        self.conditions = template.get("Conditions") or {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._fn(key[4:], arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.values:
            return self.values[name]
        if name in self.template["Resources"]:
            return {"Ref": name}  # a resource: its physical id exists only once deployed
        if name in (self.template.get("Parameters") or {}):
            return UNRESOLVED  # no Default and no override: `sam local` passes ""
        raise TemplateError(f"Ref to unknown name {name}")

    def _fn(self, name: str, arg: Any) -> Any:
        if name == "If":
            cond, yes, no = arg
            return self.resolve(yes if self.condition(cond) else no)
        if name in {"Equals", "Not", "And", "Or"}:
            args = [self.resolve(a) for a in arg]
            if name == "Equals":
                return str(args[0]) == str(args[1])
            if name == "Not":
                return not args[0]
            return all(args) if name == "And" else any(args)
        if name == "Sub":
            return self._sub(arg)
        if name == "Join":
            sep, items = arg
            parts = self.resolve(items)
            if any(not isinstance(p, str | int | float) for p in parts):
                return UNRESOLVED
            return str(sep).join(str(p) for p in parts)
        if name == "Select":
            index, items = self.resolve(arg)
            return items[int(index)] if isinstance(items, list) else UNRESOLVED
        if name == "FindInMap":
            table, first, second = self.resolve(arg)
            return self.template["Mappings"][table][first][second]
        return UNRESOLVED

    def _sub(self, arg: Any) -> Any:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            name = match.group(1)
            value = extra[name] if name in extra else self.values.get(name, UNRESOLVED)
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                missing = True
                return ""
            return str(value)

        result = _SUB_VAR.sub(replace, text).replace("${!", "${")
        return UNRESOLVED if missing else result


def _merge_globals(defaults: Any, own: Any) -> Any:
    """SAM Globals semantics: maps merge, lists concatenate (globals first), scalars override."""
    if isinstance(defaults, dict) and isinstance(own, dict):
        merged = dict(defaults)
        for key, value in own.items():
            merged[key] = _merge_globals(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


def stringify(value: Any) -> str:
    """Environment values as `sam local` passes them: unresolvable → "", booleans lower case."""
    if value is None or isinstance(value, dict | list | _Unresolved):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _layer_dir(resolver: _Resolver, base: Path, layer: Any, function: str) -> Path:
    resources = resolver.template["Resources"]
    name = layer.get("Ref") if isinstance(layer, dict) else None
    if name is None or resources.get(name, {}).get("Type") != "AWS::Serverless::LayerVersion":
        raise TemplateError(f"{function}: only layers defined in the template can run locally")
    content = resolver.resolve(resources[name]["Properties"]["ContentUri"])
    if not isinstance(content, str):
        raise TemplateError(f"{name}: ContentUri must be a local path")
    return (base / content).resolve()


def _function(resolver: _Resolver, base: Path, name: str, props: Mapping[str, Any]) -> Function:
    code_uri = props.get("CodeUri", ".")
    if not isinstance(code_uri, str):
        raise TemplateError(f"{name}: CodeUri must be a local path to run locally")
    variables = (props.get("Environment") or {}).get("Variables") or {}
    return Function(
        name=name,
        handler=str(props["Handler"]),
        code_dir=(base / code_uri).resolve(),
        layer_dirs=tuple(_layer_dir(resolver, base, ly, name) for ly in props.get("Layers", [])),
        runtime=str(props.get("Runtime", "")),
        timeout=int(props.get("Timeout", DEFAULT_TIMEOUT)),
        memory=int(props.get("MemorySize", DEFAULT_MEMORY)),
        variables={k: stringify(v) for k, v in variables.items()},
        logging={k: stringify(v) for k, v in (props.get("LoggingConfig") or {}).items()},
    )


def _routes(name: str, props: Mapping[str, Any]) -> list[Route]:
    routes = []
    for event in (props.get("Events") or {}).values():
        if event.get("Type") != "HttpApi":
            continue
        spec = event.get("Properties") or {}
        method = str(spec.get("Method", "ANY")).upper()
        if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
            method = "ANY"
        routes.append(Route(method=method, path=str(spec.get("Path", "$default")), function=name))
    return routes


def read_app(template_path: Path, parameters: Mapping[str, str] | None = None) -> App:
    """Functions and HttpApi routes of a template, with Globals applied and intrinsics resolved."""
    template = load_template(template_path)
    resolver = _Resolver(template, parameters or {})
    base = template_path.parent
    defaults = (template.get("Globals") or {}).get("Function") or {}
    functions: dict[str, Function] = {}
    routes: list[Route] = []
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        props = resolver.resolve(_merge_globals(defaults, resource.get("Properties") or {}))
        functions[name] = _function(resolver, base, name, props)
        routes.extend(_routes(name, props))
    return App(functions=functions, routes=tuple(routes))


def read_env_vars(path: Path) -> dict[str, dict[str, str]]:
    """An `--env-vars` file: {"Parameters": {...}} for every function, {"Name": {...}} for one."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TemplateError(f'{path}: expected {{"FunctionName": {{"VAR": "value"}}}}')
    return {group: {k: stringify(v) for k, v in values.items()} for group, values in data.items()}


def function_environment(
    function: Function,
    overrides: Mapping[str, Mapping[str, str]],
    shell: Mapping[str, str],
) -> dict[str, str]:
    """The declared variables' values, by `sam local`'s priority: env-vars file > shell > template.

    Like SAM, only variables the template declares can be set this way; anything else
    in the file is ignored (the caller reports it).
    """
    file_values = {**overrides.get("Parameters", {}), **overrides.get(function.name, {})}
    env = {}
    for name, value in function.variables.items():
        env[name] = file_values.get(name, shell.get(name, value))
    return env


def ignored_overrides(function: Function, overrides: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Names in the env-vars file that SAM would silently drop, so we can say so."""
    names = set(overrides.get("Parameters", {})) | set(overrides.get(function.name, {}))
    return sorted(names - set(function.variables))
