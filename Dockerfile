# The simulator in a small image: non-root, health-checked, serving every vendor on port 8000.
#   docker build -t vendor-api-simulator .
#   docker run --rm -p 8000:8000 vendor-api-simulator
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

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
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/_sim/health', timeout=2).status != 200)"]
CMD ["simulator", "serve", "--host", "0.0.0.0", "--port", "8000"]
