/* A session the server has ended (signed out elsewhere, a password or role changed, 30 minutes idle, 12 hours passed)
   answers the page's callbacks with 401: the page then stayed as it was, silently, with the old user's name in its
   header. It goes to the sign-in page instead, which brings the user back here once signed in; and to the password
   form when the user must first replace a password an administrator set (403 with X-Change-Password).

   Typing or clicking counts as using the platform even when the page sends nothing (a long remark, a findings text):
   at most once a minute such activity tells the server (POST /session/keepalive, dash_app/auth.py), so the session
   ends only when the user is really away. If the server says the session has already ended, the page is not left
   (what is typed would be lost): a notice asks to sign in again in a new tab, after which this page saves as before.

   A server out of reach (stopped, restarting, the network down, or a gateway answering 502/503/504) left the page as
   it was: an upload's status said 排队中 for as long as the server was gone. A notice says so until a request is
   answered again. */
(function () {
  var fetchOriginal = window.fetch;
  var leaving = false;
  var lastContact = Date.now();
  var KEEPALIVE_EVERY_MS = 60 * 1000;
  function noticeEnded() {
    if (document.getElementById("session-ended-notice")) { return; }
    var notice = document.createElement("div");
    notice.id = "session-ended-notice";
    notice.className = "session-ended-notice";
    notice.setAttribute("role", "alert");
    notice.appendChild(document.createTextNode("登录已失效（长时间未操作、已在别处退出，或密码被重设、账号被停用）。请先在新标签页中"));
    var link = document.createElement("a");
    link.href = "/login";
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "重新登录";
    notice.appendChild(link);
    notice.appendChild(document.createTextNode("，再回到本页保存，本页已填写的内容不会丢失。"));
    document.body.appendChild(notice);
  }
  var UNREACHABLE = "server-unreachable-notice";
  var RETRY_EVERY_MS = 5 * 1000;
  var retry = null;
  function noticeUnreachable() {
    if (document.getElementById(UNREACHABLE)) { return; }
    var notice = document.createElement("div");
    notice.id = UNREACHABLE;
    notice.className = "session-ended-notice";
    notice.setAttribute("role", "alert");
    notice.textContent = "暂时无法连接服务器（服务器可能正在重启，或网络中断）：本页显示的可能不是最新状态，"
      + "刚才的操作可能没有送达。连接恢复后本提示自动消失，届时请核对或重做刚才的操作；如长时间未恢复，请联系系统管理员。";
    document.body.appendChild(notice);
    // Asked again every few seconds (GET /health, which needs no session), so the notice goes when the server is back
    // even if the page sends nothing meanwhile.
    retry = window.setInterval(function () {
      fetchOriginal.call(window, "/health", {credentials: "same-origin", cache: "no-store"}).then(function (response) {
        if (response.ok) { reachable(); }
      }, function () {});
    }, RETRY_EVERY_MS);
  }
  function reachable() {
    var notice = document.getElementById(UNREACHABLE);
    if (notice) { notice.remove(); }
    if (retry !== null) { window.clearInterval(retry); retry = null; }
  }
  function onActivity() {
    if (leaving || Date.now() - lastContact < KEEPALIVE_EVERY_MS) { return; }
    lastContact = Date.now();
    fetchOriginal.call(window, "/session/keepalive", {method: "POST", credentials: "same-origin"}).then(function (response) {
      if (response.status === 401) { noticeEnded(); }
      else if (response.ok) {
        var notice = document.getElementById("session-ended-notice");
        if (notice) { notice.remove(); }
      }
    }, function () {});
  }
  // "input" too: text typed through an input method (Chinese) may come without key events.
  ["keydown", "input", "pointerdown", "wheel", "touchstart"].forEach(function (type) {
    document.addEventListener(type, onActivity, {capture: true, passive: true});
  });
  window.fetch = function (resource, options) {
    lastContact = Date.now();
    var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
    var callback = url.indexOf("/_dash-") !== -1;
    return fetchOriginal.call(this, resource, options).then(function (response) {
      if (callback) {
        if ([502, 503, 504].indexOf(response.status) !== -1) { noticeUnreachable(); } else { reachable(); }
      }
      // 403 with X-Change-Password (dash_app/auth.py): the user must first replace a password an administrator set.
      var changePassword = response.status === 403 && response.headers.get("X-Change-Password");
      // Once the notice asks to sign in again in another tab, this page waits for it rather than be left.
      var noticed = response.status === 401 && document.getElementById("session-ended-notice");
      if (callback && !noticed && (response.status === 401 || changePassword)) {
        if (!leaving) {
          leaving = true;
          var here = window.location.pathname + window.location.search;
          window.location.assign(changePassword ? changePassword + "?next=" + encodeURIComponent(here)
            : "/login?expired=1&next=" + encodeURIComponent(here));
        }
        return new Promise(function () {});  // the page is being left: nothing of it is updated any more
      }
      if (callback && noticed) {
        // Refused while the notice waits for a sign-in elsewhere: to the page, a callback that changed nothing (204,
        // as Dash's PreventUpdate answers), so what is typed stays and the user may try again once signed in.
        return new Response(null, {status: 204});
      }
      if (callback && response.ok) {  // signed in again (in another tab): the notice has said its part
        var notice = document.getElementById("session-ended-notice");
        if (notice) { notice.remove(); }
      }
      return response;
    }, function (error) {
      if (callback) { noticeUnreachable(); }
      throw error;
    });
  };
})();
