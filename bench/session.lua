-- wrk: a signed-in browser. Each thread (a browser of its own) sends the session cookie named by
-- WRK_COOKIE ("name=value") and, whenever the site sets it anew (Set-Cookie: the header's unread count
-- held in the session, say), the one it was last given, as a browser does; the figures printed as
-- percentiles.lua prints them (WRK_PERCENTILES names that script).
dofile(os.getenv("WRK_PERCENTILES"))

local cookie = os.getenv("WRK_COOKIE")

request = function()
  return wrk.format("GET", nil, { ["Cookie"] = cookie })
end

response = function(status, headers, body)
  local given = headers["Set-Cookie"] or headers["set-cookie"]
  if given then
    cookie = given:match("^([^;]+)")
  end
end
