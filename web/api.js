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

// What the studio pushes to this user's pages (Server-Sent Events): ``handlers`` maps an event
// type to a function of its data. EventSource reconnects by itself; close() stops it.
export function listen(handlers) {
  const source = new EventSource(`${API}/events`);
  for (const [type, handle] of Object.entries(handlers)) {
    source.addEventListener(type, (event) => handle(JSON.parse(event.data)));
  }
  return source;
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
