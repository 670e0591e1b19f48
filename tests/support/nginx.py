"""deploy/nginx-fanbot.conf run by a real nginx on loopback, as the deploy set-up runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.processes import server_env

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-fanbot.conf"

MAIN = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/fanbot.conf;
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )


def site(workers: list[int], listen: str, certificate: tuple[Path, Path] | None = None) -> str:
    """The deploy file with only what differs on this machine changed: the workers' ports,
    the listen line, and the certificate (dropped without one: plain HTTP on loopback)."""
    text = SITE.read_text()
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in workers
    )
    text = re.sub(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, text, count=1)
    text = text.replace(
        "    listen 443 ssl;", f"    listen {listen}{' ssl' if certificate else ''};"
    )
    if certificate is None:
        return re.sub(r"    ssl_certificate[^\n]*\n", "", text)
    chain, key = certificate
    text = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {chain};", text)
    return re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", text)


class Nginx:
    def __init__(self, binary: str, site_text: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="fanbot-nginx-"))
        (self.dir / "fanbot.conf").write_text(site_text)
        self.config = self.dir / "nginx.conf"
        self.config.write_text(MAIN.format(dir=self.dir))
        self.process: subprocess.Popen[bytes] | None = None

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t`: the configuration parses and its files load."""
        return subprocess.run(
            [self.binary, "-t", "-c", str(self.config), "-p", str(self.dir)],
            capture_output=True,
            text=True,
            check=False,
            env=server_env(),
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config), "-p", str(self.dir), "-g", "daemon off;"],
            stderr=(self.dir / "stderr.log").open("w"),
            env=server_env(),
        )
        deadline = time.monotonic() + 10
        while not (self.dir / "nginx.pid").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {self.errors()}")
            time.sleep(0.05)

    def errors(self) -> str:
        logs = [self.dir / "error.log", self.dir / "stderr.log"]
        return "\n".join(path.read_text() for path in logs if path.exists())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def self_signed(directory: Path) -> tuple[Path, Path]:
    chain, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=bot.example.com", "-keyout", str(key), "-out", str(chain)],
        check=True, capture_output=True,
    )  # fmt: skip
    return chain, key
