// Play buttons on the review page: one reply plays at a time; the button shows its state.
// A plain file (no inline script) so the page's Content-Security-Policy can forbid them.
(function () {
  "use strict";
  let current = null; // {audio, button}

  function stop() {
    if (!current) return;
    current.audio.pause();
    current.button.classList.remove("playing");
    current.button.dataset.state = "stopped";
    current.button.textContent = current.button.dataset.label;
    current = null;
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.play");
    if (!button) return;
    event.preventDefault();
    if (current && current.button === button) { stop(); return; }
    stop();
    const audio = new Audio(button.dataset.src);
    button.dataset.label = button.dataset.label || button.textContent;
    current = { audio: audio, button: button };
    audio.addEventListener("playing", function () {
      button.classList.add("playing");
      button.dataset.state = "playing";
      button.textContent = "■ Stop";
    });
    audio.addEventListener("ended", function () {
      if (current && current.button === button) stop();
      button.dataset.state = "ended";
    });
    audio.addEventListener("error", function () {
      button.dataset.state = "error";
      button.textContent = "audio unavailable";
    });
    audio.play().catch(function () { button.dataset.state = "error"; });
  });

  // Confirm before destructive forms (deleting a session or an account).
  document.addEventListener("submit", function (event) {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
