# syntax=docker/dockerfile:1
# The Sanctuary Network API as an image: a wheel (and the wheels of its dependencies) built in one stage,
# installed in a slim one without compilers, run as a non-root user. See README "Running on several machines"
# and compose.yaml.  docker build -t sanctuary-api .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY migrations ./migrations
# Every dependency as a wheel, so the final stage installs offline and needs no build tools.
RUN pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SANCTUARY_ENVIRONMENT=production
RUN groupadd --system --gid 10001 sanctuary \
    && useradd --system --uid 10001 --gid sanctuary --home-dir /home/sanctuary --create-home --shell /usr/sbin/nologin sanctuary
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels sanctuary-api
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER 10001:10001
WORKDIR /home/sanctuary
EXPOSE 8000
# /healthz: the process answers (it does not touch the database; /readyz does, for the proxy or orchestrator).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
