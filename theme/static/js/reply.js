// Enhancement only (the form works without it): on a thread page reached through a
// comment's "Reply" link, preselect that comment in the "Replying to" list.
(function () {
  var wanted = new URLSearchParams(window.location.search).get("reply-to");
  if (!wanted) return;
  var select = document.querySelector('select[name="reply_to"]');
  if (!select) return;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === wanted) { select.selectedIndex = i; break; }
  }
})();
