/* sitrep-protect.js: opens protected pages in the browser with WebCrypto (AES-256-GCM).
 *
 * Mirrors generator/protect.py. A sealed blob is nonce (12 bytes) || ciphertext || tag; its
 * associated data names what it is and, for a page, the page's URL as this browser sees it,
 * so a payload copied to another URL does not open.
 *
 * A secure link carries the page key in the URL fragment, which no server receives; it is
 * removed from the address bar before anything else runs. A passphrase goes through PBKDF2
 * to a key that unwraps a client's (or staff's) key from keyring.json; that key unwraps the
 * page key from the page. The client or staff key stays in sessionStorage (this tab only)
 * until "Lock". Material's instant navigation is off, so this runs on every page load.
 */
(function () {
  "use strict";

  const FORMAT = 1;
  const STORE = "sitrep-keys"; // client or staff keys opened with a passphrase
  const LINK = "sitrep-link:"; // a secure link's key, per page, so a reload still opens it
  const AAD = {
    page: (url) => `sitrep/${FORMAT}/page:${url}`,
    wrap: (url) => `sitrep/${FORMAT}/wrap:${url}`,
    keyring: `sitrep/${FORMAT}/keyring`,
    overview: `sitrep/${FORMAT}/overview`,
  };
  const MESSAGES = {
    wrong: "Wrong passphrase: it does not open this page. Nothing is shown.",
    wrongLanding: "Wrong passphrase. Check it and try again.",
    badLink: "This link does not open this page: it may be cut short, or be for another page. " +
      "Ask for the link again, or enter your passphrase.",
    damaged: "This page could not be opened: its encrypted content was changed or damaged, " +
      "so nothing of it is shown.",
    checking: "Checking the passphrase…",
  };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const root = new URL(
    (document.querySelector('meta[name="sitrep-root"]')?.content || ".") + "/", location.href);

  // First thing, before any await: take the key out of the address bar and history.
  const fragmentKey = takeFragmentKey();

  function takeFragmentKey() {
    const value = location.hash.slice(1);
    // A link secret is 16 bytes in base64url (22 characters). Take it out of the address bar
    // at once; whether it opens the page is known only after decrypting.
    if (!/^[A-Za-z0-9_-]{22}$/.test(value)) return null;
    history.replaceState(history.state, "", location.pathname + location.search);
    // Heading anchors are lower case: a 22-character one that fails to decrypt is not
    // reported as a broken link (a real link secret always decrypts, capitals or not).
    return { secret: fromB64(value), looksLikeKey: /[A-Z]/.test(value) };
  }

  /* The AES-256 page key behind a link secret: HKDF-SHA256, as keys.key_from_link_secret. */
  async function linkPageKey(secret) {
    const base = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: encoder.encode("sitrep/v1"),
        info: encoder.encode("sitrep/1/link-page-key") }, base, 256);
    return new Uint8Array(bits);
  }

  function fromB64(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function toB64(bytes) {
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  /* The page's URL relative to the site root, as generator/pages.py names it (i/<slug>/). */
  function pageUrl() {
    let path = location.pathname;
    if (path.startsWith(root.pathname)) path = path.slice(root.pathname.length);
    return decodeURI(path).replace(/index\.html$/, "");
  }

  /* The plaintext of a sealed blob, or null when the key, the URL or the bytes differ. */
  async function unseal(raw, blob, aad) {
    try {
      const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: blob.subarray(0, 12), additionalData: encoder.encode(aad) },
        key, blob.subarray(12));
      return new Uint8Array(plain);
    } catch (_error) {
      return null;
    }
  }

  async function passphraseKey(passphrase, salt, iterations) {
    // Same normalisation as keys.passphrase_key: phones add spaces and compose accents freely.
    const secret = encoder.encode(passphrase.normalize("NFC").trim());
    const base = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
    return new Uint8Array(bits);
  }

  /* sessionStorage can be off (private modes); then every page asks again. */
  function stored(name) {
    try { return sessionStorage.getItem(name); } catch (_error) { return null; }
  }

  function store(name, value) {
    try { sessionStorage.setItem(name, value); } catch (_error) { /* not remembered */ }
  }

  function readerKeys() {
    try { return JSON.parse(stored(STORE) || "[]").map(fromB64); } catch (_error) { return []; }
  }

  function rememberReader(raw) {
    const keys = JSON.parse(stored(STORE) || "[]");
    if (!keys.includes(toB64(raw))) keys.push(toB64(raw));
    store(STORE, JSON.stringify(keys));
  }

  function forget() {
    try {
      const names = [];
      for (let i = 0; i < sessionStorage.length; i++) names.push(sessionStorage.key(i));
      names.filter((n) => n === STORE || n.startsWith(LINK)).forEach((n) => sessionStorage.removeItem(n));
    } catch (_error) { /* nothing was stored */ }
  }

  let keyringRequest = null;

  function keyring() {
    keyringRequest ??= fetch(new URL("keyring.json", root), { cache: "no-cache" }).then((r) => {
      if (!r.ok) throw new Error(`keyring.json: HTTP ${r.status}`);
      return r.json();
    }).catch((error) => { keyringRequest = null; throw error; });
    return keyringRequest;
  }

  /* The client or staff key a passphrase opens, with its keyring entry; null when wrong. */
  async function openKeyring(passphrase) {
    const ring = await keyring();
    const key = await passphraseKey(passphrase, fromB64(ring.s), ring.i);
    for (const entry of ring.e) {
      const reader = await unseal(key, fromB64(entry.p), AAD.keyring);
      if (reader) return { reader, entry };
    }
    return null;
  }

  async function pageKeyFor(reader, payload, url) {
    for (const wrapped of payload.w) {
      const key = await unseal(reader, fromB64(wrapped), AAD.wrap(url));
      if (key) return key;
    }
    return null;
  }

  function say(box, text, isError) {
    const message = box.querySelector("[data-sitrep-message]");
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle("sitrep-message--error", Boolean(isError));
  }

  function show(box, html) {
    const content = box.querySelector("[data-sitrep-content]");
    content.innerHTML = decoder.decode(html);
    content.hidden = false;
    box.querySelector("[data-sitrep-locked]").hidden = true;
    box.querySelector("[data-sitrep-lockbar]").hidden = false;
    performance.mark("sitrep-unlocked");
    rebuildToc(content);
    afterParsing(() => window.sitrepRefresh?.(content)); // sitrep-live.js may not have run yet
    const anchor = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    anchor?.scrollIntoView();
  }

  /* Material's table of contents, rebuilt from the decrypted headings (the build left it empty). */
  function rebuildToc(content) {
    const nav = document.querySelector(".md-sidebar--secondary nav.md-nav--secondary");
    const headings = [...content.querySelectorAll("h2[id]")];
    if (!nav || !headings.length) return;
    const list = document.createElement("ul");
    list.className = "md-nav__list";
    for (const heading of headings) {
      const item = list.appendChild(document.createElement("li"));
      item.className = "md-nav__item";
      const link = item.appendChild(document.createElement("a"));
      link.className = "md-nav__link";
      link.href = `#${heading.id}`;
      link.textContent = heading.textContent;
    }
    nav.replaceChildren(list);
  }

  async function openWithPageKey(box, key, body, url) {
    const html = await unseal(key, body, AAD.page(url));
    if (html) show(box, html);
    else say(box, MESSAGES.damaged, true);
    return Boolean(html);
  }

  async function openPage(box) {
    const payload = JSON.parse(box.querySelector("#sitrep-payload").textContent);
    const url = pageUrl();
    const body = fromB64(payload.c);
    if (fragmentKey) {
      const pageKey = await linkPageKey(fragmentKey.secret);
      const html = await unseal(pageKey, body, AAD.page(url));
      if (html) {
        store(LINK + url, toB64(pageKey));
        return show(box, html);
      }
      if (fragmentKey.looksLikeKey) {
        say(box, MESSAGES.badLink, true);
        return askPassphrase(box, payload, url, body);
      }
    }
    const linkKey = stored(LINK + url);
    const fromLink = linkKey && await unseal(fromB64(linkKey), body, AAD.page(url));
    if (fromLink) return show(box, fromLink);
    for (const reader of readerKeys()) {
      const key = await pageKeyFor(reader, payload, url);
      if (key) return openWithPageKey(box, key, body, url);
    }
    askPassphrase(box, payload, url, body);
  }

  function askPassphrase(box, payload, url, body) {
    const form = box.querySelector("[data-sitrep-form]");
    const input = form.querySelector("input");
    const button = form.querySelector("button");
    form.hidden = false;
    keyring().catch(() => {}); // fetched while the reader types
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      performance.mark("sitrep-passphrase");
      button.disabled = true;
      say(box, MESSAGES.checking);
      try {
        const opened = await openKeyring(input.value);
        const key = opened && await pageKeyFor(opened.reader, payload, url);
        input.value = "";
        if (!key) return say(box, MESSAGES.wrong, true);
        rememberReader(opened.reader);
        say(box, "");
        if (await openWithPageKey(box, key, body, url)) form.hidden = true;
      } catch (error) {
        say(box, `The passphrase could not be checked (${error.message}). Try again.`, true);
      } finally {
        button.disabled = false;
      }
    });
  }

  /* The landing page's box: a client's passphrase leads to that client's page, staff's to theirs. */
  function landing(box) {
    box.innerHTML = `
      <p>Clients and staff: enter your passphrase to see your status page.</p>
      <form class="sitrep-lock-form" data-sitrep-form>
        <label for="sitrep-landing-passphrase">Passphrase</label>
        <input id="sitrep-landing-passphrase" type="password" autocomplete="current-password"
               autocapitalize="none" autocorrect="off" spellcheck="false" required>
        <button type="submit" class="md-button md-button--primary">Open</button>
      </form>
      <p class="sitrep-message" data-sitrep-message role="alert" hidden></p>
      <p class="sitrep-lockbar" data-sitrep-lockbar hidden>
        <a class="md-button md-button--primary" data-sitrep-overview href="#">Open your status page</a>
        <button type="button" class="md-button" data-sitrep-lock>Lock</button>
      </p>`;
    const form = box.querySelector("[data-sitrep-form]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = form.querySelector("input");
      form.querySelector("button").disabled = true;
      say(box, MESSAGES.checking);
      try {
        const opened = await openKeyring(input.value);
        input.value = "";
        const target = opened && await overviewOf(opened.reader, [opened.entry]);
        if (!target) return say(box, MESSAGES.wrongLanding, true);
        rememberReader(opened.reader);
        location.assign(target);
      } catch (error) {
        say(box, `The passphrase could not be checked (${error.message}). Try again.`, true);
      } finally {
        form.querySelector("button").disabled = false;
      }
    });
    offerOverview(box).catch(() => {});
  }

  async function overviewOf(reader, entries) {
    for (const entry of entries) {
      const path = await unseal(reader, fromB64(entry.u), AAD.overview);
      if (path) return new URL(decoder.decode(path), root).href;
    }
    return null;
  }

  /* Already unlocked in this tab: a link straight to the reader's page, and Lock. */
  async function offerOverview(box) {
    const readers = readerKeys();
    if (!readers.length) return;
    const ring = await keyring();
    for (const reader of readers) {
      const target = await overviewOf(reader, ring.e);
      if (!target) continue;
      box.querySelector("[data-sitrep-overview]").href = target;
      box.querySelector("[data-sitrep-lockbar]").hidden = false;
      return;
    }
  }

  function afterParsing(run) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
    else run();
  }

  function init() {
    document.addEventListener("click", (event) => {
      if (!event.target.closest("[data-sitrep-lock]")) return;
      forget();
      location.reload();
    });
    const box = document.querySelector("[data-sitrep-protected]");
    if (box) {
      openPage(box).catch(() => say(box, MESSAGES.damaged, true));
    }
    const unlock = document.getElementById("sitrep-unlock");
    if (unlock) landing(unlock);
  }

  // The page body comes before the scripts, so it is usually parsed already: start at once.
  // data-sitrep-end closes the protected shell: past it, the payload is whole.
  if (document.querySelector("[data-sitrep-end], #sitrep-unlock")) init();
  else afterParsing(init);
})();
