# The simulator in a small image: non-root, health-checked, serving every vendor on port 8000.
#   docker build -t vendor-api-simulator .
#   docker run --rm -p 8000:8000 vendor-api-simulator
# Reachable from other hosts, the admin API (/_sim/) asks for a token: one is generated and printed at
# start unless SIM_ADMIN_TOKEN is set (-e SIM_ADMIN_TOKEN=yours, or empty to turn the guard off).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# SIM_ADMIN_TOKEN=generate is an instruction, not a secret: the token is made at start and printed.
# hadolint ignore=DL3064
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIM_HOST=0.0.0.0 \
    SIM_PORT=8000 \
    SIM_ADMIN_TOKEN=generate

WORKDIR /src
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY specs ./specs
COPY fixtures ./fixtures
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 simulator

USER 10001
WORKDIR /home/simulator
EXPOSE 8000
# The server and its health check both take the port from SIM_PORT (and the interface from SIM_HOST).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/_sim/health' % os.environ.get('SIM_PORT', '8000'), timeout=2).status != 200)"]
CMD ["simulator", "serve"]
