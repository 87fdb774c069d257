# Container-image alternative to the zip + two layers deployment, for when the
# dependencies outgrow Lambda's 250 MB unzipped limit (an image may be 10 GB).
# It installs exactly what the zip build installs: the three requirements.txt files
# exported from uv.lock, every hash required, plus libgomp out of a locked wheel.
# Switch the template with `PackageType: Image` (see README, "Container image
# alternative").
FROM public.ecr.aws/lambda/python:3.13 AS deps
RUN pip install --no-cache-dir uv==0.13.9
COPY layers/core/requirements.txt /tmp/requirements/core.txt
COPY layers/ml/requirements.txt /tmp/requirements/ml.txt
COPY predict_fn/requirements.txt /tmp/requirements/function.txt
COPY layers/ml/libgomp-source.txt /tmp/libgomp-source.txt
# scikit-learn's locked wheel (libgomp-source.txt) goes to a scratch folder, not
# /opt/deps: only its libgomp ships, since an installed scikit-learn is imported by
# every `import lightgbm` (~0.6 s of cold start) and serving never uses it.
RUN uv pip install --target /opt/deps --python-version 3.13 --only-binary :all: \
        --no-deps --require-hashes --link-mode=copy \
        -r /tmp/requirements/core.txt -r /tmp/requirements/ml.txt \
        -r /tmp/requirements/function.txt \
    && wheel="$(mktemp -d)" \
    && uv pip install --target "$wheel" --python-version 3.13 --only-binary :all: \
        --no-deps --require-hashes --link-mode=copy -r /tmp/libgomp-source.txt \
    && mkdir /opt/deps/lib \
    && cp "$wheel"/scikit_learn.libs/libgomp-*.so.* /opt/deps/lib/libgomp.so.1 \
    && rm -rf "$wheel"

FROM public.ecr.aws/lambda/python:3.13
# lib_lightgbm.so needs libgomp.so.1, which the base image lacks: the copy that
# scikit-learn's wheel vendors (and nothing else of that wheel) lands in
# /var/task/lib, on the image's LD_LIBRARY_PATH (the zip build puts the same file in
# the ml layer's lib/).
COPY --from=deps /opt/deps ${LAMBDA_TASK_ROOT}
COPY predict_fn/*.py ${LAMBDA_TASK_ROOT}/predict_fn/
# Fractional vCPUs make OpenMP threads hurt, as in the zip deployment.
ENV OMP_NUM_THREADS=1
CMD ["predict_fn.app.lambda_handler"]
