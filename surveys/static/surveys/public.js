// The public survey page: show the follow-up question of the chosen score's band as soon as a score is
// chosen. Without JavaScript the page still works: the follow-up shows after the first submit.
document.addEventListener("DOMContentLoaded", function () {
  var block = document.getElementById("followup");
  var label = document.getElementById("followup-label");
  if (!block || !label) return;
  document.querySelectorAll("input[name=score]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var question = radio.getAttribute("data-followup") || "";
      label.textContent = question;
      block.hidden = question === "";
    });
  });
});
