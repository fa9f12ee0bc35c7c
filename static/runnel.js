// runnel.js - progressive enhancement for Runnel pages (load with `defer`).
// Widget forms work without JS (noscript "Apply" buttons). With JS, their
// submit/change events are sent with fetch. Each request says which elements the page
// holds (X-Runnel-Have: ids and content hashes); the answer is a patch of the elements that
// changed, each morphed in with the global Idiomorph (static/idiomorph.js), or a whole
// fragment for #runnel-root. A patch that does not fit the page asks for a full render.
(() => {
  "use strict";

  const ROOT_ID = "runnel-root";
  const FORM_SEL = "form.rn-widget";
  // A chat input sends its message with its button or Enter only, never on a change.
  const CHAT_SEL = "form.rn-chat_input";
  // A form(key) container: its widgets are sent together, only by its submit button.
  const SUBMIT_SEL = "form.rn-widget, form.rn-form";
  const TEXTY = /^(text|number|search|email|url|tel|password|date|time|datetime-local)$/;
  const root = () => document.getElementById(ROOT_ID);
  const PATCH_TYPE = "application/vnd.runnel.patch+json";
  // A long run's answer: one JSON object per line, patches of what it drew so far, then its
  // own answer marked "done" (see src/routes/progress.rs).
  const STREAM_TYPE = "application/vnd.runnel.patch-stream";
  const MAX_HAVE = 16 * 1024; // the server reads no longer X-Runnel-Have

  // What the page holds: "<frame>;<id>:<hash>,…" in document order (the server's listing);
  // patches name its digest as their base and the digest of the page after them as version.
  function haveOf(r) {
    const frame = r.querySelector("[data-rn-frame]");
    if (!frame) return "";
    const list = [...r.querySelectorAll("[data-rn-id]")].map((e) => `${e.dataset.rnId}:${e.dataset.rnH}`);
    return `${frame.dataset.rnFrame};${list.join(",")}`;
  }
  // FNV-1a, 32 bits, as 8 hex digits: the server's digest of a Have list.
  function digest(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
  }
  // The Have list of the page as this script last left it, and its digest: listed once per
  // update, not again for each request and each check.
  let shown = null;
  function shownOf(r) {
    if (!shown) {
      const have = haveOf(r);
      shown = { have, digest: digest(have) };
    }
    return shown;
  }
  // The request headers of a fragment request; `full` leaves the Have out (a whole fragment).
  function fragmentHeaders(full) {
    const headers = { "X-Runnel-Fragment": "1" };
    const r = root();
    const have = !full && r ? shownOf(r).have : "";
    // The CSRF token the forms hold (as a digest): the server redraws them if it changed.
    const token = r?.querySelector("input[name=csrf]")?.value;
    const held = have && `${have};${token ? digest(token) : ""}`;
    if (held && held.length <= MAX_HAVE) headers["X-Runnel-Have"] = held;
    return headers;
  }

  // Per form: the body last sent, or the body matching the last server render.
  // A change/commit producing the same body is skipped (Enter + blur, etc.).
  const lastSent = new WeakMap();
  let queue = Promise.resolve(); // one request in flight at a time, in order
  let pending = 0;

  // Serialize a form; `submitter` (a button) contributes its name=value.
  function bodyOf(form, submitter) {
    let fd;
    try { fd = new FormData(form, submitter || undefined); } catch { fd = new FormData(form); }
    // Older browsers ignore FormData's 2nd argument: add the button ourselves.
    if (submitter && submitter.name && !fd.getAll(submitter.name).includes(submitter.value)) {
      fd.append(submitter.name, submitter.value);
    }
    return new URLSearchParams(fd).toString();
  }

  // Remember each form's rendered state as its baseline for deduplication.
  function snapshot(skipForm) {
    const r = root();
    if (!r) return;
    for (const f of r.querySelectorAll(FORM_SEL)) {
      if (f === skipForm) lastSent.delete(f);
      else lastSent.set(f, bodyOf(f, null));
    }
  }

  // Queue a request; `force` (buttons) bypasses deduplication. A widget event carries a
  // random id that its retries keep: the server applies an event once, however often it
  // arrives, so retrying after a lost answer is safe.
  function send(form, submitter, force) {
    // A file uploader's form goes as multipart/form-data, with its files, every time.
    if (form.enctype === "multipart/form-data") {
      let fd;
      try { fd = new FormData(form, submitter || undefined); } catch { fd = new FormData(form); }
      if (submitter && submitter.name && !fd.getAll(submitter.name).includes(submitter.value)) {
        fd.append(submitter.name, submitter.value);
      }
      fd.set("event_id", eventId());
      enqueue(() => postWithRetries(form.action, fd), form);
      return;
    }
    const body = bodyOf(form, submitter);
    // A chat input is empty again once its message is on its way.
    if (form.matches(CHAT_SEL)) form.querySelector("input[name=value]").value = "";
    if (!force && lastSent.get(form) === body) return;
    lastSent.set(form, body);
    const params = new URLSearchParams(body);
    if (new URL(form.action, location.href).pathname.endsWith("/event")) params.set("event_id", eventId());
    enqueue(() => postWithRetries(form.action, params), form);
  }

  function eventId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A lost connection or a 503 (store unavailable, session busy) is retried twice with the same
  // body and event id, after 0.4 s and 0.8 s; then the last answer (or error) stands.
  const RETRIES = 2;
  async function postWithRetries(url, params) {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(url, {
          method: "POST",
          body: params,
          headers: fragmentHeaders(false),
          credentials: "same-origin",
        });
        if (res.status !== 503 || attempt >= RETRIES || !params.has("event_id")) return res;
      } catch (err) {
        if (attempt >= RETRIES || !params.has("event_id")) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 400 * 2 ** attempt));
    }
  }

  // While requests are in flight: `rn-running` on the root (no style hangs on it), a bar at the
  // top and the main area dimmed after a while (runnel.css). Shown only once a request has taken
  // BUSY_AFTER ms: a quick click changes nothing on the page before its answer, so the answer is
  // not queued behind a rendering frame that the change would have asked for.
  const BUSY_AFTER = 100;
  let busyTimer = 0;
  function busy(on) {
    clearTimeout(busyTimer);
    if (on) { busyTimer = setTimeout(() => show(true), BUSY_AFTER); return; }
    show(false);
  }
  function show(on) {
    const r = root();
    if (!r) return;
    r.classList.toggle("rn-running", on);
    r.querySelector(".rn-main")?.classList.toggle("rn-dim", on);
    let bar = document.getElementById("rn-busy");
    if (!bar && on) {
      bar = document.createElement("div");
      bar.id = "rn-busy";
      bar.setAttribute("aria-hidden", "true");
      document.body.appendChild(bar);
    }
    bar?.classList.toggle("rn-on", on);
  }

  // Successful responses are stashed and only the newest is applied, once the
  // queue drains: intermediate renders are stale (avoids flicker), and a
  // failed later request still leaves the last good render applied. Every request of one
  // drain carries the Have of the same DOM (nothing is applied meanwhile), so the newest
  // patch fits it.
  let stash = null;
  function enqueue(doFetch, form) {
    pending++;
    busy(true);
    const run = async () => {
      try {
        const answer = await handle(await doFetch(), form);
        if (answer !== null) stash = [answer, form];
      } catch (err) {
        if (form) lastSent.delete(form); // let the user retry the same value
        toast("Connection lost: the last action may not have reached the server. Reload the page to see its state.");
        console.error("runnel:", err);
      } finally {
        if (--pending === 0) {
          busy(false);
          const s = stash;
          stash = null;
          if (s) apply(...s);
        }
      }
    };
    queue = queue.then(run, run);
    return queue;
  }

  // Returns the fragment HTML or the patch on success, null otherwise.
  async function handle(res, form) {
    if (res.headers.get("X-Runnel-Reload") === "1") { location.reload(); return null; }
    // switch_page(): the run ended by sending the browser to another page.
    const next = res.headers.get("X-Runnel-Location");
    if (next && next.startsWith("/")) { location.assign(next); return null; }
    if (res.ok && (res.headers.get("Content-Type") || "").startsWith(STREAM_TYPE)) return streamed(res, form);
    const text = await res.text();
    if (!res.ok) {
      if (form) lastSent.delete(form);
      toast(text.trim().slice(0, 500) || `Request failed (HTTP ${res.status})`);
      // A widget the page no longer has (changed in another tab, e.g. by a logout): show
      // the page as it is now.
      if (res.status === 404 && form) setTimeout(() => window.Runnel.rerun(), 0);
      return null;
    }
    const url = res.headers.get("X-Runnel-Url");
    if (url) history.replaceState(null, "", url);
    if ((res.headers.get("Content-Type") || "").startsWith(PATCH_TYPE)) {
      try { return { patch: JSON.parse(text) }; } catch { return { lost: true }; }
    }
    return { html: text };
  }

  // Reads a streamed answer: each patch of the run's progress is applied as it arrives, while
  // no newer request waits behind this one (its answer will show the newer state); the last
  // line is the run's own answer, applied as any other.
  async function streamed(res, form) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the streamed answer ended early");
      buffered += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (!text) continue; // keep-alive
        const line = JSON.parse(text);
        if (line.done) { reader.cancel().catch(() => {}); return last(line); }
        if (pending === 1) apply({ patch: line }, form);
      }
    }
  }

  // The last line of a streamed answer, as `handle` returns answers.
  function last(line) {
    if (line.reload) { location.reload(); return null; }
    if (line.location && line.location.startsWith("/")) { location.assign(line.location); return null; }
    if (line.error) { toast(line.error); return null; }
    if (line.url) history.replaceState(null, "", line.url);
    return { patch: line };
  }

  // Applies an answer: a whole fragment, or a patch when it fits what the page holds. A patch
  // computed against another page (lost or out of order), or one that leaves the page other
  // than the server's version, is answered by a full render.
  function apply(answer, form) {
    if (answer.html !== undefined) { morph(answer.html, form); return; }
    const r = root();
    if (!r) return;
    if (answer.lost || shownOf(r).digest !== answer.patch.base) { fullRender(); return; }
    if (answer.patch.frame != null) morph(answer.patch.frame, form);
    else update(r, form, (typing) => answer.patch.ops.forEach((op) => applyOp(r, op, typing)));
    if (shownOf(r).digest !== answer.patch.version) fullRender();
  }

  function applyOp(r, op, typing) {
    if (op.op === "replace") {
      const el = r.querySelector(`[data-rn-id="${CSS.escape(op.id)}"]`);
      const next = parsed(op.html);
      // An animation that plays once (balloons) is put in anew, so that it plays again.
      if (el && next instanceof Element && next.hasAttribute("data-rn-replay")) el.replaceWith(next);
      else if (el) Idiomorph.morph(el, next, { morphStyle: "outerHTML", ignoreActiveValue: !!typing });
    } else if (op.op === "append") {
      r.querySelector(`[data-rn-slot="${CSS.escape(op.slot)}"]`)?.insertAdjacentHTML("beforeend", op.html);
    } else if (op.op === "truncate") {
      const slot = r.querySelector(`[data-rn-slot="${CSS.escape(op.slot)}"]`);
      const gone = slot ? [...slot.children].filter((c) => c.hasAttribute("data-rn-id")).slice(op.count) : [];
      for (const el of gone) {
        // Each element is written on its own line: its line break goes with it.
        const next = el.nextSibling;
        if (next && next.nodeType === Node.TEXT_NODE && next.data === "\n") next.remove();
        el.remove();
      }
    }
  }

  // An element's HTML parsed in an inert template, or the text itself when it is not exactly
  // one element (Idiomorph parses a string into a new document of its own, for each element).
  const scratch = document.createElement("template");
  function parsed(html) {
    scratch.innerHTML = html;
    const nodes = scratch.content.childNodes;
    const el = nodes.length === 1 ? scratch.content.firstElementChild : null;
    scratch.innerHTML = "";
    return el || html;
  }

  // A full render: the page as the server has it now, without a patch.
  function fullRender() {
    return enqueue(() => fetch(location.href, {
      headers: fragmentHeaders(true),
      credentials: "same-origin",
      cache: "no-store",
    }), null);
  }

  // Don't clobber text the user is typing in *another* field while a
  // response arrives; the field that triggered the request is updated.
  // Returns that field, or null.
  function typingIn(r, form) {
    const a = document.activeElement;
    const typing = !!a && r.contains(a) && !(form && form.contains(a)) &&
      (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && TEXTY.test(a.type))) &&
      a.value !== a.defaultValue;
    return typing ? a : null;
  }

  function morph(html, form) {
    const r = root();
    if (!r) return;
    update(r, form, (typing) => Idiomorph.morph(r, html, { morphStyle: "innerHTML", ignoreActiveValue: !!typing }));
  }

  // Runs `change(typing)` on the page, keeping the viewer's open tabs and expanders.
  function update(r, form, change) {
    const typing = typingIn(r, form);
    const view = viewState(r);
    change(typing);
    shown = null;
    restoreViewState(r, view);
    const title = r.querySelector("[data-rn-title]");
    if (title) document.title = title.dataset.rnTitle;
    snapshot(typing ? typing.closest(FORM_SEL) : null);
    document.dispatchEvent(new CustomEvent("runnel:update"));
  }

  // The viewer's choices that the server does not know: the open tab, and which expanders and
  // popovers are open.
  const FOLDS = "details.rn-expander[data-expander], details.rn-popover[data-popover]";
  const foldKey = (d) => (d.dataset.expander !== undefined ? `e:${d.dataset.expander}` : `p:${d.dataset.popover}`);
  // The page's folds, found through the tag index (a compound selector would visit every node
  // of a big table, twice per update).
  const folds = (r) => [...r.getElementsByTagName("details")].filter((d) => d.matches(FOLDS));
  function viewState(r) {
    const tabs = [...r.querySelectorAll("input.rn-tab-radio:checked")].map((i) => i.id);
    const open = folds(r).map((d) => [foldKey(d), d.open]);
    return { tabs, open };
  }
  function restoreViewState(r, view) {
    for (const id of view.tabs) {
      const tab = document.getElementById(id);
      if (tab && r.contains(tab)) tab.checked = true;
    }
    const held = new Map(view.open);
    for (const d of folds(r)) {
      const open = held.get(foldKey(d));
      if (open !== undefined) d.open = open;
    }
  }

  // Toast: one element outside #runnel-root, hidden after 6 s.
  let toastTimer = 0;
  function toast(msg) {
    let t = document.getElementById("runnel-toast");
    if (!t) {
      t = document.createElement("div");
      t.id = "runnel-toast";
      t.setAttribute("role", "alert");
      document.body.appendChild(t);
    }
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  const widgetForm = (el) => (el instanceof Element ? el.closest(FORM_SEL) : null);

  // Submit: buttons always send; Enter in a text/number field is deduped.
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(SUBMIT_SEL)) return;
    e.preventDefault();
    const btn = e.submitter || null;
    send(form, btn, !!btn);
  });

  // Committed value changes of controls inside widget forms.
  document.addEventListener("change", (e) => {
    const el = e.target;
    const form = widgetForm(el);
    // Auth forms (login, registration, …) are sent only by their submit button.
    if (!form || form.matches(".rn-auth") || form.matches(CHAT_SEL) || !el.matches("input, select, textarea")) return;
    if (el.type === "hidden" || el.type === "submit" || el.type === "button") return;
    send(form, null, false);
  });

  // Slider: live readout while dragging (request only on `change`).
  document.addEventListener("input", (e) => {
    const el = e.target;
    if (!(el instanceof HTMLInputElement) || el.type !== "range" || !el.closest(SUBMIT_SEL)) return;
    let out = el.nextElementSibling;
    while (out && !out.matches("output.rn-slider-value")) out = out.nextElementSibling;
    if (!out) out = el.parentElement.querySelector("output.rn-slider-value");
    // A select_slider's handle stands for an option: show the option, not its index.
    const labels = el.dataset.labels ? JSON.parse(el.dataset.labels) : null;
    // A date slider's handle counts days from its first day.
    const dayZero = el.dataset.dayZero ? Date.parse(el.dataset.dayZero + "T00:00:00Z") : NaN;
    const day = Number.isNaN(dayZero) ? null : new Date(dayZero + Number(el.value) * 86400000).toISOString().slice(0, 10);
    if (out) out.value = labels ? labels[Number(el.value)] ?? "" : day ?? el.value;
  });

  // Text area: Ctrl/Cmd+Enter commits (plain Enter inserts a newline).
  document.addEventListener("keydown", (e) => {
    const el = e.target;
    if (!(el instanceof HTMLTextAreaElement) || e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    const form = widgetForm(el);
    if (!form) return;
    e.preventDefault();
    send(form, null, false);
  });

  snapshot(null);

  // Data frame sort and page links: rerun in place (without JS they are plain links).
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest("a[data-rn-link]") : null;
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    history.replaceState(null, "", a.href);
    window.Runnel.rerun();
  });

  // Theme: follows the system until the viewer picks one; the choice is kept in localStorage.
  const toggle = document.getElementById("rn-theme-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const html = document.documentElement;
      const dark = html.dataset.theme ? html.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
      html.dataset.theme = dark ? "light" : "dark";
      try { localStorage.setItem("runnel-theme", html.dataset.theme); } catch { /* private mode */ }
    });
  }

  // Fragments with `run_every`: one timer each, asking for a rerun of that fragment alone (a
  // POST with the page's CSRF token); a timer stops when its fragment leaves the page. A tick
  // is skipped while another request is on its way.
  const timers = new Map(); // fragment id -> { ms, handle }
  function syncTimers() {
    const r = root();
    const timed = r ? [...r.querySelectorAll("[data-fragment][data-every]")] : [];
    const live = new Map(timed.map((e) => [e.dataset.fragment, Number(e.dataset.every)]));
    for (const [id, t] of timers) {
      if (live.get(id) !== t.ms) { clearInterval(t.handle); timers.delete(id); }
    }
    for (const [id, ms] of live) {
      if (!timers.has(id) && ms >= 500) timers.set(id, { ms, handle: setInterval(() => tick(id), ms) });
    }
  }
  function tick(id) {
    const r = root();
    const el = r && [...r.querySelectorAll("[data-fragment]")].find((e) => e.dataset.fragment === id);
    if (!el || pending > 0) return;
    const token = el.querySelector("input[name=csrf]")?.value || "";
    const url = `${r.dataset.base || ""}/${encodeURIComponent(r.dataset.page)}/fragment/${encodeURIComponent(id)}${location.search}`;
    enqueue(async () => {
      const res = await fetch(url, {
        method: "POST",
        body: new URLSearchParams({ csrf: token }),
        headers: fragmentHeaders(false),
        credentials: "same-origin",
      });
      // The session no longer knows this fragment (e.g. reset in another tab): this timer
      // stops and the page is drawn as the server has it now.
      if (res.status === 404) {
        clearInterval(timers.get(id)?.handle);
        timers.delete(id);
        setTimeout(() => fullRender(), 0);
      }
      return res;
    }, null);
  }

  // Dialogs: focus moves into a dialog when it opens and stays inside while it is open;
  // Escape and its X button close it (the close is an event that reruns the whole page).
  let shownDialog = null;
  const dialog = () => root()?.querySelector(".rn-dialog");
  function focusDialog() {
    const d = dialog();
    if (d && d !== shownDialog && !d.contains(document.activeElement)) {
      const body = d.querySelector(".rn-dialog-body");
      const first = body?.querySelector("input:not([type=hidden]), select, textarea, button, a[href]");
      (first || d).focus();
    }
    shownDialog = d || null;
  }
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const close = dialog()?.querySelector("form.rn-dialog-close");
    if (!close) return;
    e.preventDefault();
    close.requestSubmit(close.querySelector("button"));
  });
  document.addEventListener("focusin", (e) => {
    const d = dialog();
    if (d && e.target instanceof Node && !d.contains(e.target)) d.focus();
  });
  document.addEventListener("runnel:update", () => { syncTimers(); focusDialog(); });
  syncTimers();
  focusDialog();

  window.Runnel = {
    // Re-run the page without an event: GET a patch (or the fragment) and apply it.
    rerun() {
      return enqueue(() => fetch(location.href, {
        headers: fragmentHeaders(false),
        credentials: "same-origin",
        cache: "no-store", // never let the fragment replace the cached full page
      }), null);
    },
  };
  // Hot reload: the server pushes "rerun" when this page's script is saved and "removed"
  // when it is deleted. EventSource reconnects by itself; after a lost connection (a server
  // restart) the page reruns once, since the script may have changed meanwhile.
  function listen() {
    const r = root();
    if (!r || !r.dataset.page || !window.EventSource) return;
    const source = new EventSource((r.dataset.base || "") + "/_live/" + encodeURIComponent(r.dataset.page));
    let lost = false;
    source.addEventListener("rerun", () => window.Runnel.rerun());
    source.addEventListener("removed", () => {
      const main = root() && root().querySelector(".rn-main");
      if (!main) return;
      const note = document.createElement("div");
      note.className = "rn-alert rn-warning rn-page-removed";
      note.setAttribute("role", "alert");
      note.textContent = "This page was removed: its script was deleted or renamed.";
      main.replaceChildren(note);
      shown = null;
    });
    source.onerror = () => { lost = true; };
    source.onopen = () => {
      if (lost) { lost = false; window.Runnel.rerun(); }
    };
  }
  listen();
})();
