# syntax=docker/dockerfile:1
# One image for every part of Ashyq; the command picks the part, with the same `ashyq` commands the tests and
# `ashyq up` use: `ashyq migrate orgs|dialogue`, `ashyq serve orgs|dialogue|gateway|worker`.
#
#   docker build -t ashyq .                               # online: official Python image, PyPI, npm registry
#   scripts/build-image.sh                                # offline: local debootstrap base + build/offline bundle
#
# BASE_IMAGE must be Debian bookworm with python3 (3.11) and its venv module: the official python:3.11-slim-bookworm
# by default, or a local image made with debootstrap (scripts/build-image.sh) where no registry is reachable.
# OFFLINE=1 makes pip use only the wheelhouse build/offline/wheels (--no-index) and npm only the cache
# build/offline/npm-cache (--offline); scripts/build-image.sh fills both beforehand.
ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- the build context, with the offline bundle's folders present even when empty ----------------------------
FROM ${BASE_IMAGE} AS context
COPY . /src
RUN mkdir -p /src/build/offline/wheels /src/build/offline/npm-cache

# --- web: htmx exactly as web/package-lock.json pins it -------------------------------------------------------
FROM ${NODE_IMAGE} AS web
ARG OFFLINE=0
RUN command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null && rm -rf /var/lib/apt/lists/*)
COPY --from=context /src/web/package.json /src/web/package-lock.json /web/
COPY --from=context /src/build/offline/npm-cache/ /npm-cache/
RUN if [ "$OFFLINE" = 1 ]; then set -- --offline --cache /npm-cache; fi; \
    npm ci --prefix /web --omit=dev --no-audit --no-fund "$@" \
    && test -f /web/node_modules/htmx.org/dist/htmx.min.js

# --- wheels: every pinned dependency, built once; only pyproject.toml decides them, so code changes keep the cache --
FROM ${BASE_IMAGE} AS wheels
ARG OFFLINE=0
COPY --from=context /src/build/offline/wheels/ /wheels/
COPY --from=context /src/pyproject.toml /project/
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/project/pyproject.toml", "rb"))["project"]["dependencies"]))' \
      >/wheels/requirements.txt \
    && echo "setuptools>=75" >>/wheels/requirements.txt \
    && if [ "$OFFLINE" = 1 ]; then set -- --no-index --find-links /wheels; fi; \
    python3 -m venv /build && /build/bin/pip wheel --no-cache-dir --quiet "$@" --wheel-dir /wheels \
      --requirement /wheels/requirements.txt

# --- runtime ------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# WeasyPrint's Pango and HarfBuzz, and serif fonts with every Kazakh letter (protocol PDFs); a base image made
# by scripts/build-image.sh has them already, so no package is fetched there.
ARG RUNTIME_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 tzdata ca-certificates postgresql-client"
RUN if ! dpkg -s $RUNTIME_PACKAGES >/dev/null 2>&1; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $RUNTIME_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 ashyq \
    && useradd --system --uid 10001 --gid ashyq --home-dir /app --no-create-home --shell /usr/sbin/nologin ashyq

# XDG_CACHE_HOME: /tmp is the one writable place when the root file system is read-only (compose.yaml), and
# fontconfig (protocol PDFs) wants a cache.
ENV VIRTUAL_ENV=/opt/ashyq \
    PATH=/opt/ashyq/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8 \
    ASHYQ_HOST=0.0.0.0 \
    ASHYQ_DATA_DIR=/data \
    GATEWAY_WEB_DIR=/app/web \
    XDG_CACHE_HOME=/tmp/.cache

WORKDIR /app
# Dependencies only from the wheelhouse, mounted for this step alone so it adds nothing to the image.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python3 -m venv /opt/ashyq \
    && pip install --no-cache-dir --quiet --no-index --find-links /wheels --requirement /wheels/requirements.txt \
    && mkdir -p /data && chown ashyq:ashyq /data
# The code runs from /app: its migrations and alembic.ini sit beside it (services/common/migrations.py).
COPY --from=context /src/pyproject.toml /src/README.md /src/alembic.ini /app/
COPY --from=context /src/migrations /app/migrations
COPY --from=context /src/services /app/services
COPY --from=context /src/web/templates /app/web/templates
COPY --from=context /src/web/static /app/web/static
COPY --from=context /src/web/translations /app/web/translations
COPY --from=web /web/node_modules /app/web/node_modules
RUN pip install --no-cache-dir --quiet --no-index --no-deps --no-build-isolation --editable /app \
    && rm -rf /app/*.egg-info /app/build \
    && python3 -m compileall -q /app/services /app/migrations \
    && ashyq --help >/dev/null

USER ashyq
EXPOSE 8000 8001 8002
CMD ["ashyq", "serve", "gateway"]
