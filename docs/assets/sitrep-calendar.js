/* sitrep-calendar.js: "Add maintenance to your calendar" on a client's overview.
 *
 * The client's .ics travels base64-encoded in the link's data-sitrep-ics, inside the page
 * body that sitrep-protect.js decrypts (see generator/calendar.py): there is no file to link
 * to, so a click turns the bytes into a text/calendar Blob and downloads it. The handler is
 * delegated from the document because the link only exists once the page is decrypted.
 */
(function () {
  "use strict";

  function bytesOf(base64) {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes; // the UTF-8 bytes as built: CRLF line endings kept
  }

  function download(link) {
    const blob = new Blob([bytesOf(link.dataset.sitrepIcs)], { type: "text/calendar;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const save = document.createElement("a");
    save.href = url;
    save.download = link.getAttribute("download") || "maintenance.ics";
    save.hidden = true;
    document.body.appendChild(save);
    save.click();
    save.remove();
    // Revoked later, not at once: the browser reads the Blob after this handler returns.
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-sitrep-ics]");
    if (!link) return;
    // href="#" would otherwise change the fragment, where sitrep-protect.js looks for keys.
    event.preventDefault();
    download(link);
  });
})();
