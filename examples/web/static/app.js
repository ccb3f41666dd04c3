// The ideas page: POST /ideas, read the Server-Sent Events with fetch + ReadableStream,
// apply the JSON-Patch deltas (RFC 6902 add/replace/remove + rxstruct's string "append"),
// render the growing list, one card per completed idea, the final result and errors.
"use strict";

const $ = (id) => document.getElementById(id);

function unescapePointer(part) {
  return part.replace(/~1/g, "/").replace(/~0/g, "~");
}

// Apply one list of operations; returns the new document (an op at "" replaces it).
function applyPatch(doc, ops) {
  for (const op of ops) {
    if (op.path === "") {
      doc = op.op === "append" ? doc + op.value : op.value;
      continue;
    }
    const parts = op.path.slice(1).split("/").map(unescapePointer);
    const last = parts.pop();
    let parent = doc;
    for (const part of parts) parent = parent[Array.isArray(parent) ? Number(part) : part];
    const key = Array.isArray(parent) ? (last === "-" ? parent.length : Number(last)) : last;
    if (op.op === "add") {
      if (Array.isArray(parent)) parent.splice(key, 0, op.value);
      else parent[key] = op.value;
    } else if (op.op === "replace") {
      parent[key] = op.value;
    } else if (op.op === "append") {
      parent[key] = parent[key] + op.value;
    } else if (op.op === "remove") {
      if (Array.isArray(parent)) parent.splice(key, 1);
      else delete parent[key];
    } else {
      throw new Error("unknown patch op " + op.op);
    }
  }
  return doc;
}

function setStatus(state, text) {
  const status = $("status");
  status.dataset.state = state;
  status.textContent = text;
}

function renderLive(doc) {
  const ideas = (doc && Array.isArray(doc.ideas)) ? doc.ideas : [];
  const live = $("live");
  while (live.children.length > ideas.length) live.lastChild.remove();
  ideas.forEach((idea, i) => {
    let li = live.children[i];
    if (!li) {
      li = document.createElement("li");
      li.innerHTML = '<div class="title"></div><div class="blurb"></div>';
      live.appendChild(li);
    }
    li.querySelector(".title").textContent = (idea && idea.title) || "";
    li.querySelector(".blurb").textContent = (idea && idea.blurb) || "";
  });
}

function addCard(item) {
  const card = document.createElement("article");
  card.className = "card";
  card.dataset.index = String(item.index);
  const h3 = document.createElement("h3");
  h3.textContent = item.value.title;
  const p = document.createElement("p");
  p.textContent = item.value.blurb;
  card.append(h3, p);
  $("cards").appendChild(card);
  $("card-count").textContent = String($("cards").children.length);
}

function reset() {
  $("live").replaceChildren();
  $("cards").replaceChildren();
  $("card-count").textContent = "0";
  $("final").textContent = "";
  $("error").hidden = true;
  $("error").textContent = "";
}

// Split the byte stream into SSE events: {event, data} (comments such as pings dropped).
async function* sseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

async function stream(body) {
  reset();
  setStatus("streaming", "streaming…");
  let doc = {};
  let frames = 0;
  const response = await fetch("/ideas", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const detail = await response.text();
    showError({ type: "HTTP " + response.status, message: detail });
    return;
  }
  for await (const { event, data } of sseEvents(response)) {
    frames += 1;
    if (event === "patch") {
      doc = applyPatch(doc, data);
      renderLive(doc);
    } else if (event === "message") {
      doc = data;
      renderLive(doc);
    } else if (event === "item") {
      addCard(data);
    } else if (event === "reset") {
      reset();
      doc = {};
    } else if (event === "done") {
      renderLive(data);
      $("final").textContent = JSON.stringify(data, null, 2);
      setStatus("done", "done: " + frames + " frames");
      return;
    } else if (event === "error") {
      showError(data);
      return;
    }
  }
  showError({ type: "ConnectionClosed", message: "the stream ended without a result" });
}

function showError(body) {
  setStatus("error", "error: " + body.type);
  $("error").hidden = false;
  $("error").textContent = body.type + ": " + body.message;
}

$("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = {
    topic: $("topic").value,
    count: Number($("count").value),
    mode: $("mode").value,
  };
  stream(body).catch((err) => showError({ type: "NetworkError", message: String(err) }));
});
