import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--workers", type=int, default=os.cpu_count())
parser.add_argument("--cache-dir", default=os.environ.get("CACHE_DIR", "/tmp/cache"))
parser.add_argument("--lr", type=float, default=0.1)
parser.parse_args()
