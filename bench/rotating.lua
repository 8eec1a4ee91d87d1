-- wrk: each request asks the next of the paths in the file named by WRK_PATHS (one a line), each thread
-- starting at a place of its own, so that a run asks many different questions (no answer is asked twice in
-- a row); the figures printed as percentiles.lua prints them (WRK_PERCENTILES names that script).
dofile(os.getenv("WRK_PERCENTILES"))

local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  paths[#paths + 1] = line
end
local counter = 0

setup = function(thread)
  counter = counter + 1
  thread:set("start", counter * 7919)
end

init = function(args)
  position = start or 0
end

request = function()
  position = position + 1
  return wrk.format("GET", paths[(position % #paths) + 1])
end
