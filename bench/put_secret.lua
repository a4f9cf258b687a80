-- wrk script for bench/secret_set.sh: every request PUTs a new secret with a distinct name.
-- Usage: wrk -t2 -c64 -d10s -s bench/put_secret.lua -H "Authorization: Bearer <token>" \
--          https://127.0.0.1:<port> -- <round-tag>
-- Names are "<tag>-t<thread>-<counter>" (a per-thread counter), so no two requests in a run
-- (or in different rounds with different tags) touch the same secret; the value is 100 bytes.
-- Note: wrk calls request() once on thread 0 to verify the script and does not send that request,
-- so thread 0 starts at counter 2.

local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  tag = args[1] or "r"
  counter = 0
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"value":"' .. string.rep("v", 100) .. '"}'
end

function request()
  counter = counter + 1
  return wrk.format(nil, "/secrets/" .. tag .. "-t" .. tid .. "-" .. counter .. "?api-version=7.6")
end
