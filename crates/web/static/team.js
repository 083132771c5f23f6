// Live updates for team sessions (progressive enhancement: every page works without this script).
// The page names its event stream in data-team-events and its structure in data-shape. Event "live" brings
// the new HTML of #team-live (rendered and escaped by the server); event "shape" tells that the structure
// changed (a question opened, the agenda moved on), and the page reloads unless someone is typing.
const root = document.querySelector("[data-team-events]");

function format(seconds) {
  const s = Math.abs(seconds);
  return (seconds < 0 ? "-" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function arm() {
  for (const el of document.querySelectorAll("[data-remaining]")) {
    el.dataset.deadline = String(Date.now() + Number(el.dataset.remaining) * 1000);
  }
}

function tick() {
  for (const el of document.querySelectorAll("[data-deadline]")) {
    const left = Math.round((Number(el.dataset.deadline) - Date.now()) / 1000);
    el.textContent = format(left);
    el.classList.toggle("team-over-time", left < 0);
  }
}

// Someone is typing when a text field holds something that is not what the page came with (a saved
// worksheet field keeps its text, and must not stop the page from following the session).
function typing() {
  return [...document.querySelectorAll("textarea, input[type=text]")].some(
    (el) => el.value.trim() !== "" && el.value !== el.defaultValue,
  );
}

if (root) {
  arm();
  setInterval(tick, 1000);
  if (window.EventSource) {
    const shape = root.dataset.shape;
    let stale = false;
    const events = new EventSource(root.dataset.teamEvents);
    events.addEventListener("live", (e) => {
      const region = document.getElementById("team-live");
      if (region) {
        region.innerHTML = e.data;
        arm();
        tick();
      }
    });
    // Another tab or screen of the same person took this stream's place: stop listening rather than
    // reconnecting and pushing that one out in turn.
    events.addEventListener("replaced", () => events.close());
    events.addEventListener("shape", (e) => {
      if (e.data !== shape) {
        stale = true;
        if (!typing()) window.location.reload();
      }
    });
    document.addEventListener("submit", () => { stale = false; });
    setInterval(() => { if (stale && !typing()) window.location.reload(); }, 2000);
  }
}
