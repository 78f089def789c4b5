# The hub in a container: PostgreSQL in production (set HUB_DATABASE_URL), SQLite under /app/var otherwise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --create-home --uid 10001 hub
COPY pyproject.toml README.md alembic.ini ./
COPY hub ./hub
COPY connectors ./connectors
COPY jobs ./jobs
COPY alembic ./alembic
RUN pip install . && mkdir -p /app/var && chown hub:hub /app/var

USER hub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# Upgrade the schema, then serve. Secrets come from the environment (HUB_SECRET_KEY, HUB_ADMIN_TOKEN).
CMD ["sh", "-c", "hub db upgrade && exec hub run --host 0.0.0.0"]
