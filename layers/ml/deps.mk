# Installs third-party Python packages for Lambda, the same way for the function and
# both layers. SAM builds each of them from a scratch copy of its own folder, so
# layers/core, layers/ml and predict_fn each keep a byte-identical copy of this file
# (tests/integration/test_layers_lock.py fails when they differ).

ifndef ARTIFACTS_DIR
$(error ARTIFACTS_DIR is not set: `sam build` sets it; by hand, point it at a scratch folder)
endif
# The absolute path of uv: the top Makefile exports the one it resolved, and `uv run`
# sets it too. Recipes never look uv up on PATH, where a fresh machine has none.
ifndef UV
$(error UV is not set: build through `make build`, or `uv run sam build`)
endif

# Bytecode is specific to the minor version: compile with the runtime's Python (`:=`,
# so a PYTHON in the environment cannot swap in another one).
PYTHON := "$(UV)" run --no-project --python 3.13 python
size = find "$(1)" -type f -printf '%s\n' | awk '{s += $$1} END {print s + 0}'

# $(call install-deps,DIR,LAMBDA_DIR) installs requirements.txt (exported from uv.lock,
# every hash required) into DIR, which Lambda mounts as LAMBDA_DIR, then:
# - removes what Lambda never runs: console scripts, uv's .lock, test suites, caches,
#   stubs, C and Cython sources, headers, static libraries, meson files, dist-info
#   RECORDs. numpy.testing used to import numpy/_core/tests/_natype.py and scipy
#   imports numpy.testing: that one test helper stays;
# - strips extension modules, but not the vendored *.libs (stripping those broke numpy);
# - replaces sources by bytecode: without .pyc imports were 2.5x slower, and .py
#   beside .pyc does not fit the 250 MB budget. The .pyc name their file as Lambda
#   sees it (tracebacks) and, by unchecked-hash, depend on the source alone: a rebuild
#   anywhere gives identical bytes.
define install-deps
rm -rf "$(1)"
"$(UV)" pip install --target "$(1)" --python-version 3.13 \
	--python-platform x86_64-manylinux_2_28 --only-binary :all: --link-mode=copy \
	--no-deps --require-hashes --quiet -r requirements.txt
@echo "$@: $$($(call size,$(1))) bytes installed"
rm -rf "$(1)/bin" "$(1)/.lock"
find "$(1)" -type d -name tests ! -path '*/numpy/_core/tests' -prune -exec rm -rf {} +
find "$(1)" -path '*/numpy/_core/tests/*' ! -name _natype.py -prune -exec rm -rf {} +
find "$(1)" -type d -name __pycache__ -prune -exec rm -rf {} +
find "$(1)" -type f \( -name '*.pyi' -o -name '*.h' -o -name '*.hpp' -o -name '*.pxd' \
	-o -name '*.pxi' -o -name '*.pyx' -o -name '*.tp' -o -name '*.c' -o -name '*.cpp' \
	-o -name '*.a' -o -name meson.build -o -path '*.dist-info/RECORD' \) -delete
@echo "$@: $$($(call size,$(1))) bytes pruned"
find "$(1)" -type f \( -name '*.so' -o -name '*.so.*' \) ! -path '*.libs/*' \
	-exec strip --strip-unneeded {} +
$(PYTHON) -m compileall -b -q -j 0 --invalidation-mode unchecked-hash -s "$(1)" -p "$(2)" \
	"$(1)"
find "$(1)" -type f -name '*.py' -delete
find "$(1)" -depth -type d -empty -delete
@echo "$@: $$($(call size,$(1))) bytes final"
endef
