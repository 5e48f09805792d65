// The Shares panel: copy a link to the clipboard, and open "Send link" as a dialog (without
// JavaScript the link leads to the same form on a page of its own). Texts come translated from
// the page's data- attributes.
"use strict";
{
  const say = (button, text) => {
    const status = button.parentElement.querySelector(".ds-copied");
    if (status) {
      status.textContent = text;
      setTimeout(() => { status.textContent = ""; }, 4000);
    }
  };
  document.addEventListener("click", async (event) => {
    const copy = event.target.closest(".ds-copy");
    if (copy) {
      try {
        await navigator.clipboard.writeText(copy.dataset.link);
        say(copy, copy.dataset.copied);
      } catch (error) {
        window.prompt(copy.dataset.prompt, copy.dataset.link);
      }
      return;
    }
    const send = event.target.closest("a[data-dialog]");
    const dialog = send && document.getElementById(send.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
      dialog.querySelector("textarea")?.focus();
      return;
    }
    const close = event.target.closest(".ds-dialog-close");
    if (close) {
      close.closest("dialog").close();
    }
  });
}
