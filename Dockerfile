# stepline: one image for both processes (docs/CONTRACT.md §2).
#   API:    uvicorn api.app:app --host 0.0.0.0 --port 8000 --timeout-graceful-shutdown 20
#           (the default command: on SIGTERM, requests in flight get 20 s to finish)
#   worker: python worker.py
# docker-compose.yml runs both against Temporal on PostgreSQL; deploy/ on Kubernetes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The processes run from the source tree in /app (it also holds migrations/versions and the
# templates); `pip install .` brings the dependencies and the `stepline` command.
COPY pyproject.toml alembic.ini worker.py ./
COPY domain/ domain/
COPY core/ core/
COPY scenarios/ scenarios/
COPY store/ store/
COPY line/ line/
COPY workflows/ workflows/
COPY activities/ activities/
COPY app/ app/
COPY api/ api/
COPY emulator/ emulator/
COPY cli/ cli/
COPY triggers/ triggers/
COPY bench/ bench/
COPY migrations/ migrations/
COPY templates/ templates/
COPY examples/ examples/
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin stepline

# Code stays owned by root: the app user can read it, not change it.
USER stepline

EXPOSE 8000
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
