"""moto's S3 server, with the buckets named in MOTO_BUCKETS (comma-separated) created at start.

Compose's radosgw creates its bucket at start (docker/radosgw/entrypoint.sh); this does the same
for moto, so a stack started with it finds its bucket as a user's stack does. Exits on SIGTERM.
"""

import os
import signal
import threading

import boto3
from moto.server import ThreadedMotoServer

port = int(os.environ.get("PORT", "5000"))
server = ThreadedMotoServer(ip_address="0.0.0.0", port=port)
server.start()

client = boto3.client(
    "s3",
    endpoint_url=f"http://127.0.0.1:{port}",
    region_name="us-east-1",
    # moto checks no signature: any key works.
    aws_access_key_id="moto",
    aws_secret_access_key="moto",
)
for bucket in filter(None, (name.strip() for name in os.environ.get("MOTO_BUCKETS", "").split(","))):
    client.create_bucket(Bucket=bucket)
    print(f"created bucket {bucket}", flush=True)

with open("/tmp/moto-ready", "w") as marker:
    marker.write("ready\n")
print(f"moto S3 listening on :{port}", flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
server.stop()
