-- End-to-end check of `nasc lsp` with Neovim's built-in LSP client (0.7 or later), run
-- headless by tests/editor/nvim.rs:
--   NASC_BIN=... NASC_FILE=broken.nas NASC_OUT=result.txt nvim --headless -u NONE -i NONE -n \
--     -c "luafile tests/editor/nvim_e2e.lua"
-- It opens the broken spec, attaches a client that starts `nasc lsp`, waits for the
-- diagnostics, asks for a hover, fixes the error by editing the buffer, waits for the
-- diagnostics to clear, and writes what it saw to NASC_OUT.
local nasc, file, out = os.getenv('NASC_BIN'), os.getenv('NASC_FILE'), os.getenv('NASC_OUT')
local lines = {}
local function log(s) table.insert(lines, s) end
local function finish()
  vim.fn.writefile(lines, out)
  vim.cmd('qa!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({ name = 'nasc', cmd = { nasc, 'lsp' }, root_dir = vim.fn.getcwd() })
if not id then
  log('error: the client did not start')
  return finish()
end
vim.lsp.buf_attach_client(buf, id)

if not vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then
  log('error: no diagnostics within 20 s')
  return finish()
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or '?'
  log(string.format('diagnostic %s %d:%d-%d:%d severity=%d', code, d.lnum, d.col, d.end_lnum or -1, d.end_col or -1, d.severity))
end

-- Hover over the parameter `C` in `network n(C: int = 8)` (line 0, column 10).
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 0, character = 10 } }
local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 10000) or {}
for _, r in pairs(res) do
  if r.result and r.result.contents then
    log('hover ' .. (r.result.contents.value or ''):gsub('\n', ' '))
  end
end

-- Fix the error (`bnn` -> `bn`) as a user would, then wait for the diagnostics to clear.
local text = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
for i, l in ipairs(text) do
  text[i] = l:gsub('bnn', 'bn')
end
vim.api.nvim_buf_set_lines(buf, 0, -1, false, text)
if vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 50) then
  log('cleared')
else
  log('error: diagnostics did not clear')
end
finish()
