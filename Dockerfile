# The platform's own image (web and worker). Module images are built by the publishing app.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home hub && mkdir -p /data && chown hub /data
USER hub
ENV DATA_DIR=/data BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["gunicorn", "-c", "mlreef/gunicorn_conf.py"]
