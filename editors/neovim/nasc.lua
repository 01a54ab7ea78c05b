-- Neovim (0.7+) configuration for .nas specs with nasc's language server. Put this file in
-- ~/.config/nvim/plugin/ (or require it from init.lua); `nasc` must be on PATH.
vim.filetype = vim.filetype or {}
if vim.filetype.add then
  vim.filetype.add({ extension = { nas = 'nas' } })
else
  vim.cmd('autocmd BufRead,BufNewFile *.nas setfiletype nas')
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nas',
  callback = function(args)
    vim.bo[args.buf].commentstring = '// %s'
    vim.bo[args.buf].shiftwidth = 4
    vim.bo[args.buf].expandtab = true
    local root = vim.fs and vim.fs.dirname(vim.fs.find({ '.git' }, { upward = true })[1] or '') or vim.fn.getcwd()
    local config = { name = 'nasc', cmd = { 'nasc', 'lsp' }, root_dir = root ~= '' and root or vim.fn.getcwd() }
    if vim.lsp.start then
      vim.lsp.start(config) -- 0.8+: reuses one server per root
    else
      local id = vim.lsp.start_client(config)
      if id then vim.lsp.buf_attach_client(args.buf, id) end
    end
  end,
})
-- Then the usual LSP mappings work: K (hover), gd (vim.lsp.buf.definition), gr (references),
-- <C-x><C-o> (completion), :lua vim.lsp.buf.formatting() (0.7) / vim.lsp.buf.format() (0.8+).
