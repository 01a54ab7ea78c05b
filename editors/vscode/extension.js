// Starts `nasc lsp` for .nas files (stdio) through vscode-languageclient.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('nasc').get('path') || 'nasc';
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('nasc', 'nasc language server', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'nas' }, { scheme: 'untitled', language: 'nas' }],
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
