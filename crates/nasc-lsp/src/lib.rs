//! `nasc lsp`: a language server over standard input and output (lsp-server + lsp-types, the
//! crates rust-analyzer uses). Documents are synchronised in full; after a change the server
//! waits for the edits to settle (debounce), recompiles with the same pipeline as
//! `nasc check` and publishes the diagnostics. Requests are answered from the latest
//! analysis; a request that fails (or panics) gets an error response and the server goes on.

mod analysis;
mod features;
mod position;
pub mod transport;

pub use analysis::Analysis;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, FoldingRangeRequest, Formatting, GotoDefinition,
    HoverRequest, References, Request as _,
};
use lsp_types::*;
use position::Lines;
use std::collections::HashMap;
use std::time::Duration;

/// How long edits must pause before a document is re-checked.
const DEBOUNCE: Duration = Duration::from_millis(40);

struct Doc {
    uri: Uri,
    text: String,
    analysis: Option<Analysis>,
}

impl Doc {
    fn analysis(&mut self) -> &Analysis {
        self.analysis.get_or_insert_with(|| Analysis::new(self.text.clone()))
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["(".into(), ",".into(), " ".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Every feature at a spread of positions of `text`, results dropped (the fuzz target runs
/// this: no input may make a request panic).
#[doc(hidden)]
pub fn exercise(text: &str) {
    let a = Analysis::new(text.to_string());
    let uri: Uri = "file:///fuzz.nas".parse().expect("a valid URI");
    let _ = features::diagnostics(&a, &uri);
    let step = (text.len() / 8).max(1);
    for off in (0..=text.len()).step_by(step) {
        let _ = features::hover(&a, off);
        let _ = features::definition(&a, off);
        let _ = features::references(&a, off, true);
        let _ = features::completion(&a, off);
    }
    let _ = features::symbols(&a);
    let _ = features::folding(&a);
    let _ = features::formatting(&a);
}

/// What the server does after an edit: analyse the text and convert its diagnostics; returns
/// their number (the editor benchmark, `cargo bench -p nasc-lsp --bench lsp`).
#[doc(hidden)]
pub fn recheck(text: &str) -> usize {
    let a = Analysis::new(text.to_string());
    let uri: Uri = "file:///bench.nas".parse().expect("a valid URI");
    features::diagnostics(&a, &uri).len()
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    /// The client broke the protocol (lsp-server's message).
    #[error("lsp: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// The client's messages could not be read.
    #[error("lsp: {0}")]
    Transport(#[from] transport::TransportError),
    /// The client went away while the server was answering.
    #[error("lsp: the client's connection closed")]
    Closed,
}

/// Runs the server until the client says `exit`.
pub fn run() -> Result<(), LspError> {
    let (conn, io) = transport::stdio();
    let served = session(&conn);
    drop(conn);
    match served {
        Ok(()) => Ok(io.join()?),
        // Input the reader could not follow ends the session too: the client is told why
        // before the process exits (the writer is joined), and the reader's error is the one
        // reported rather than the closed channel it left behind.
        Err(e) => Err(io.join_stopped().map_or(e, LspError::Transport)),
    }
}

fn session(conn: &Connection) -> Result<(), LspError> {
    let (id, _params) = conn.initialize_start()?;
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": {"name": "nasc", "version": env!("CARGO_PKG_VERSION")},
    });
    conn.initialize_finish(id, result)?;
    serve(conn)
}

fn serve(conn: &Connection) -> Result<(), LspError> {
    let mut docs = Docs::new();
    let mut dirty: Vec<String> = Vec::new();
    loop {
        // With changes pending, wait only a moment for more before checking.
        let msg = if dirty.is_empty() {
            match conn.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            }
        } else {
            match conn.receiver.recv_timeout(DEBOUNCE) {
                Ok(m) => m,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    publish(conn, &mut docs, std::mem::take(&mut dirty))?;
                    continue;
                }
                Err(_) => return Ok(()),
            }
        };
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req)? {
                    return Ok(());
                }
                let resp = respond(&mut docs, req);
                conn.sender.send(Message::Response(resp)).map_err(|_| LspError::Closed)?;
            }
            Message::Notification(n) => {
                if let Some(uri) = notify(&mut docs, n)
                    && !dirty.contains(&uri)
                {
                    dirty.push(uri);
                }
            }
            Message::Response(_) => {}
        }
    }
}

/// Open documents by URI text (`Uri` itself is not a good map key).
type Docs = HashMap<String, Doc>;

/// Applies a document notification; returns the document to re-check.
fn notify(docs: &mut Docs, n: Notification) -> Option<String> {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let key = p.text_document.uri.as_str().to_string();
            docs.insert(
                key.clone(),
                Doc { uri: p.text_document.uri, text: p.text_document.text, analysis: None },
            );
            Some(key)
        }
        DidChangeTextDocument::METHOD => {
            let p: DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let text = p.content_changes.into_iter().last()?.text;
            let key = p.text_document.uri.as_str().to_string();
            docs.insert(key.clone(), Doc { uri: p.text_document.uri, text, analysis: None });
            Some(key)
        }
        DidCloseTextDocument::METHOD => {
            let p: DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            docs.remove(p.text_document.uri.as_str());
            None
        }
        _ => None,
    }
}

fn publish(conn: &Connection, docs: &mut Docs, keys: Vec<String>) -> Result<(), LspError> {
    for key in keys {
        let Some(doc) = docs.get_mut(&key) else { continue };
        let uri = doc.uri.clone();
        let diagnostics = guard(|| features::diagnostics(doc.analysis(), &uri)).unwrap_or_default();
        let params = PublishDiagnosticsParams { uri, diagnostics, version: None };
        let note = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
        conn.sender.send(Message::Notification(note)).map_err(|_| LspError::Closed)?;
    }
    Ok(())
}

/// Runs `f`, turning a panic into `None` (one failing request must not stop the server).
fn guard<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

fn error(id: RequestId, code: ErrorCode, message: String) -> Response {
    Response::new_err(id, code as i32, message)
}

/// Answers one request.
fn respond(docs: &mut Docs, req: Request) -> Response {
    let id = req.id.clone();
    let method = req.method.clone();
    match guard(|| answer(docs, req)) {
        Some(Ok(v)) => Response::new_ok(id, v),
        Some(Err((code, msg))) => error(id, code, msg),
        None => error(
            id,
            ErrorCode::InternalError,
            format!("nasc: internal error while answering {method} (a bug; the server goes on)"),
        ),
    }
}

type Answer = Result<serde_json::Value, (ErrorCode, String)>;

fn params<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(req.params).map_err(|e| {
        (ErrorCode::InvalidParams, format!("invalid parameters of {}: {e}", req.method))
    })
}

fn doc<'d>(docs: &'d mut Docs, uri: &Uri) -> Result<&'d mut Doc, (ErrorCode, String)> {
    docs.get_mut(uri.as_str())
        .ok_or_else(|| (ErrorCode::InvalidParams, format!("document {} is not open", uri.as_str())))
}

fn json<T: serde::Serialize>(v: T) -> Answer {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn answer(docs: &mut Docs, req: Request) -> Answer {
    match req.method.as_str() {
        HoverRequest::METHOD => {
            let p: HoverParams = params(req)?;
            let a = doc(docs, &p.text_document_position_params.text_document.uri)?.analysis();
            let off = Lines::new(&a.text).offset(p.text_document_position_params.position);
            json(features::hover(a, off))
        }
        GotoDefinition::METHOD => {
            let p: GotoDefinitionParams = params(req)?;
            let uri = p.text_document_position_params.text_document.uri;
            let a = doc(docs, &uri)?.analysis();
            let lines = Lines::new(&a.text);
            let off = lines.offset(p.text_document_position_params.position);
            json(features::definition(a, off).map(|s| {
                GotoDefinitionResponse::Scalar(Location {
                    uri: uri.clone(),
                    range: lines.range(s.start, s.end),
                })
            }))
        }
        References::METHOD => {
            let p: ReferenceParams = params(req)?;
            let uri = p.text_document_position.text_document.uri;
            let a = doc(docs, &uri)?.analysis();
            let lines = Lines::new(&a.text);
            let off = lines.offset(p.text_document_position.position);
            let locs: Vec<Location> = features::references(a, off, p.context.include_declaration)
                .into_iter()
                .map(|s| Location { uri: uri.clone(), range: lines.range(s.start, s.end) })
                .collect();
            json(locs)
        }
        Completion::METHOD => {
            let p: CompletionParams = params(req)?;
            let a = doc(docs, &p.text_document_position.text_document.uri)?.analysis();
            let off = Lines::new(&a.text).offset(p.text_document_position.position);
            json(CompletionResponse::Array(features::completion(a, off)))
        }
        DocumentSymbolRequest::METHOD => {
            let p: DocumentSymbolParams = params(req)?;
            json(DocumentSymbolResponse::Nested(features::symbols(
                doc(docs, &p.text_document.uri)?.analysis(),
            )))
        }
        FoldingRangeRequest::METHOD => {
            let p: FoldingRangeParams = params(req)?;
            json(features::folding(doc(docs, &p.text_document.uri)?.analysis()))
        }
        Formatting::METHOD => {
            let p: DocumentFormattingParams = params(req)?;
            match features::formatting(doc(docs, &p.text_document.uri)?.analysis()) {
                Some(edits) => json(edits),
                None => Err((
                    ErrorCode::RequestFailed,
                    "the document does not parse: fix the syntax errors first".into(),
                )),
            }
        }
        _ => {
            Err((ErrorCode::MethodNotFound, format!("nasc lsp does not implement {}", req.method)))
        }
    }
}
