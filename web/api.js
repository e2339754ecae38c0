// Calls to the studio API. Every failure becomes an Error whose message a streamer can read.

const API = "/api/v1";

export async function call(method, path, body) {
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("The studio server cannot be reached. Check that it is running.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data?.error?.message ?? `The studio answered ${response.status}.`;
    const error = new Error(sentence(message));
    error.code = data?.error?.code;
    throw error;
  }
  return data;
}

// What the studio pushes to this user's pages (Server-Sent Events). EventSource reconnects
// by itself and sends the session cookie; close() stops it.
export function openEvents() {
  return new EventSource(`${API}/events`);
}

// A file as the request body, with upload progress (fetch reports none in most browsers):
// ``onProgress(fraction)`` as bytes leave. Resolves to the JSON answer; failures as call().
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", API + path);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("error", () => {
      reject(new Error("The upload broke off. Check the connection and try again."));
    });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { /* not JSON */ }
      if (request.status >= 200 && request.status < 300) return resolve(data);
      const message = data?.error?.message ?? `The studio answered ${request.status}.`;
      const error = new Error(sentence(message));
      error.code = data?.error?.code;
      reject(error);
    });
    request.send(file);
  });
}

// Tells the server the page is gone, even while it unloads.
export function closeSession(sessionId) {
  fetch(`${API}/sessions/${sessionId}`, { method: "DELETE", keepalive: true }).catch(() => {});
}

// Server messages are written to follow "because": start them as a sentence, unless they
// start with a URL ("rtmp://host/app/****: refused").
function sentence(message) {
  if (/^[a-z]+:\/\//.test(message)) return message;
  return message.charAt(0).toUpperCase() + message.slice(1);
}
