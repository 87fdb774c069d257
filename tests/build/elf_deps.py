"""Would every ELF object in the build load on Lambda's Amazon Linux 2023?

AL2023 has glibc 2.34, so its base system is what the manylinux_2_34 policy assumes
any Linux provides: auditwheel's policy data (not a hand-kept list) gives the
libraries and the symbol versions allowed from them. Anything else an object needs
must be shipped and found the way ld.so finds it: through the object's RPATH/RUNPATH
($ORIGIN-relative) or LD_LIBRARY_PATH (the layers' lib/ folders, /opt/lib in Lambda),
and must define the symbol versions asked of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection

POLICY = "manylinux_2_34"
ARCH = "x86_64"


@dataclass(frozen=True)
class Policy:
    libraries: frozenset[str]
    symbol_versions: dict[str, frozenset[str]]  # "GLIBC" -> {"2.2.5", ..., "2.34"}

    def provides(self, library: str) -> bool:
        # The dynamic loader (ld-linux-x86-64.so.2) is glibc's own, so the policy
        # does not list it; auditwheel exempts it the same way.
        return library in self.libraries or library.startswith("ld-linux")


@dataclass(frozen=True)
class Elf:
    needed: tuple[str, ...]
    search_path: tuple[str, ...]  # DT_RPATH and DT_RUNPATH entries, unexpanded
    version_needs: dict[str, frozenset[str]]  # library -> versions required from it
    version_defs: frozenset[str]


@dataclass(frozen=True)
class Problem:
    path: Path
    library: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.library}: {self.reason}"


def load_policy(name: str = POLICY, arch: str = ARCH) -> Policy:
    data = resources.files("auditwheel.policy").joinpath("manylinux-policy.json").read_text()
    policy = next(p for p in json.loads(data) if p["name"] == name)
    versions = policy["symbol_versions"][arch]
    return Policy(
        frozenset(policy["lib_whitelist"]), {k: frozenset(v) for k, v in versions.items()}
    )


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


@cache
def read_elf(path: Path) -> Elf:
    needed: list[str] = []
    search: list[str] = []
    needs: dict[str, frozenset[str]] = {}
    defs: set[str] = set()
    with path.open("rb") as handle:
        elf = ELFFile(handle)
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif tag.entry.d_tag in ("DT_RPATH", "DT_RUNPATH"):
                        value = tag.rpath if tag.entry.d_tag == "DT_RPATH" else tag.runpath
                        search += value.split(":")
            elif isinstance(section, GNUVerNeedSection):
                for verneed, auxiliaries in section.iter_versions():
                    needs[verneed.name] = frozenset(aux.name for aux in auxiliaries)
            elif isinstance(section, GNUVerDefSection):
                for _, auxiliaries in section.iter_versions():
                    defs.update(aux.name for aux in auxiliaries)
    return Elf(tuple(needed), tuple(search), needs, frozenset(defs))


def elf_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        yield from (p for p in sorted(root.rglob("*")) if p.is_file() and is_elf(p))


def locate(library: str, origin: Path, elf: Elf, lib_dirs: Sequence[Path]) -> Path | None:
    expanded = (
        d.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", str(origin)) for d in elf.search_path
    )
    for folder in (*map(Path, expanded), *lib_dirs):
        if (folder / library).is_file():
            return (folder / library).resolve()
    return None


def base_version_problems(versions: Iterable[str], policy: Policy) -> list[str]:
    """Versions above the policy's, for the prefixes the policy governs (GLIBC, GLIBCXX...)."""
    too_new = []
    for version in sorted(versions):
        prefix, _, number = version.partition("_")
        allowed = policy.symbol_versions.get(prefix)
        if allowed is not None and number not in allowed:
            too_new.append(version)
    return too_new


def check(roots: Iterable[Path], lib_dirs: Sequence[Path], policy: Policy) -> list[Problem]:
    problems = []
    for path in elf_files(roots):
        elf = read_elf(path)
        for library in elf.needed:
            wanted = elf.version_needs.get(library, frozenset())
            if policy.provides(library):
                too_new = base_version_problems(wanted, policy)
                if too_new:
                    problems.append(Problem(path, library, f"needs {too_new} ({POLICY})"))
                continue
            found = locate(library, path.parent, elf, lib_dirs)
            if found is None:
                problems.append(Problem(path, library, "neither in the base system nor shipped"))
            elif missing := sorted(wanted - read_elf(found).version_defs):
                problems.append(Problem(path, library, f"{found} lacks versions {missing}"))
    return problems
