-- wrk script for benches/http.sh: each request opens the next unused link
-- from a file, and every response must be the success redirect.
--
--   wrk -t THREADS -s benches/http.lua URL -- LINKS_FILE TARGET THREADS
--
-- LINKS_FILE holds one link path a line; each of the THREADS wrk threads
-- takes every THREADS-th line, so no link is sent twice. A response counts
-- as good only if it is a 303 to TARGET with a Set-Cookie. When a thread
-- runs out of links it sends "/exhausted" instead (which the consume
-- endpoint refuses) and counts it. done() prints one line for the shell
-- script to read:
--
--   RESULT requests=N seconds=S rps=R good=G bad=B exhausted=X errors=E
--
-- followed by up to five examples of bad responses.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread runs its own Lua state). The links stay
-- in one string: a table of millions of strings would have the garbage
-- collector walk all of them over and over, slowing wrk down.
local data = ""
local pos = 1
local line = 0
local threads_total = 1
good = 0
bad = 0
exhausted = 0
samples = ""
local target

function init(args)
   local file = args[1]
   target = args[2]
   threads_total = tonumber(args[3])
   if not file or not target or not threads_total then
      error("usage: wrk -t THREADS -s http.lua URL -- LINKS_FILE TARGET THREADS")
   end
   local f = assert(io.open(file, "r"), "cannot open " .. file)
   data = f:read("*a")
   f:close()
   if #data == 0 then
      error("no links in " .. file)
   end
end

-- The next line of the file that is this thread's, or nil at the end.
local function next_link()
   while pos <= #data do
      local eol = string.find(data, "\n", pos, true) or (#data + 1)
      local this = line
      local start = pos
      line = line + 1
      pos = eol + 1
      if this % threads_total == id then
         return string.sub(data, start, eol - 1)
      end
   end
   return nil
end

function request()
   local path = next_link()
   if path == nil then
      exhausted = exhausted + 1
      path = "/exhausted"
   end
   return wrk.format("GET", path)
end

local function header(headers, name)
   return headers[name] or headers[name:lower()]
end

function response(status, headers, body)
   local location = header(headers, "Location")
   local cookie = header(headers, "Set-Cookie")
   if status == 303 and location == target and cookie ~= nil then
      good = good + 1
   else
      bad = bad + 1
      if bad <= 5 then
         samples = samples .. string.format("  bad response: status %d, location %s, set-cookie %s\n",
            status, tostring(location), cookie and "present" or "absent")
      end
   end
end

function done(summary, latency, requests)
   local good_total, bad_total, exhausted_total, text = 0, 0, 0, ""
   for _, thread in ipairs(threads) do
      good_total = good_total + thread:get("good")
      bad_total = bad_total + thread:get("bad")
      exhausted_total = exhausted_total + thread:get("exhausted")
      text = text .. thread:get("samples")
   end
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.status + e.timeout
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f good=%d bad=%d exhausted=%d errors=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      good_total, bad_total, exhausted_total, errors))
   io.write(text)
end
