/* A session the server has ended (signed out elsewhere, a password or role changed, 12 hours passed) answers the
   page's callbacks with 401: the page then stayed as it was, silently, with the old user's name in its header. It
   goes to the sign-in page instead, which brings the user back here once signed in; and to the password form when
   the user must first replace a password an administrator set (403 with X-Change-Password). */
(function () {
  var fetchOriginal = window.fetch;
  var leaving = false;
  window.fetch = function (resource, options) {
    return fetchOriginal.call(this, resource, options).then(function (response) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      var callback = url.indexOf("/_dash-") !== -1;
      // 403 with X-Change-Password (dash_app/auth.py): the user must first replace a password an administrator set.
      var changePassword = response.status === 403 && response.headers.get("X-Change-Password");
      if (callback && (response.status === 401 || changePassword)) {
        if (!leaving) {
          leaving = true;
          var here = window.location.pathname + window.location.search;
          window.location.assign(changePassword || "/login?expired=1&next=" + encodeURIComponent(here));
        }
        return new Promise(function () {});  // the page is being left: nothing of it is updated any more
      }
      return response;
    });
  };
})();
