//! `nasc lsp` as a process speaking JSON-RPC over stdio, as an editor drives it: initialize,
//! open a broken spec (diagnostics with codes and ranges), fix it (no diagnostics), hover,
//! definition, references, completion, symbols, folding, formatting, a bad request (an error
//! response, the server goes on), non-ASCII positions (UTF-16), shutdown and exit.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

struct Client {
    child: Child,
    stdin: ChildStdin,
    out: std::sync::mpsc::Receiver<Value>,
    next: i64,
}

fn reader(stdout: ChildStdout, tx: std::sync::mpsc::Sender<Value>) {
    let mut r = BufReader::new(stdout);
    loop {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
            return;
        }
    }
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nasc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, out) = std::sync::mpsc::channel();
        std::thread::spawn(move || reader(stdout, tx));
        let mut c = Client { child, stdin, out, next: 1 };
        let r = c
            .request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
        assert_eq!(r["result"]["serverInfo"]["name"], "nasc");
        assert_eq!(r["result"]["capabilities"]["hoverProvider"], true);
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (notifications meanwhile are dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.out.recv_timeout(Duration::from_secs(30)).expect("a response");
            if m["id"] == json!(id) {
                return m;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let t0 = Instant::now();
        loop {
            let m = self.out.recv_timeout(Duration::from_secs(30)).expect("diagnostics");
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                assert!(t0.elapsed() < Duration::from_secs(30));
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    fn at(&mut self, method: &str, uri: &str, line: u32, character: u32) -> Value {
        let mut p = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        if method == "textDocument/references" {
            p["context"] = json!({"includeDeclaration": true});
        }
        self.request(method, p)
    }
}

const BROKEN: &str = "network n(C: int = 8) {\n    input [1, 28, 28]\n    classes 10\n    stage s = conv(3x3, C) -> bnn -> relu\n    stage head = global_avg_pool -> linear(classes)\n}\n";

const GOOD: &str = "// é𝔸 non-ASCII before the code\nlet body = conv(3x3, 8) -> bn -> relu\n\nnetwork n(C: int in {8, 16} = 8) {\n    input [1, 28, 28]\n    classes 10\n    stage s = conv(3x3, C) -> bn -> relu\n    stage g = random(WS(6, 2, 0.5), C)\n    stage b = body\n    stage head = global_avg_pool -> linear(classes)\n}\n";

#[test]
fn an_editor_session() {
    let mut c = Client::start();
    let uri = "file:///tmp/session.nas";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nas", "version": 1, "text": BROKEN}}),
    );
    let d = c.diagnostics(uri);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "E002");
    assert_eq!(d[0]["severity"], 1);
    // `bnn` on line 3, columns 30..33.
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 3, "character": 30}, "end": {"line": 3, "character": 33}})
    );
    assert!(d[0]["message"].as_str().unwrap().contains("help:"), "{d:?}");

    // Several quick edits: only the settled text is checked (debounced), and it is clean.
    for (v, text) in [(2, BROKEN.replace("bnn", "bn ->")), (3, GOOD.to_string())] {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": text}]}),
        );
    }
    assert_eq!(c.diagnostics(uri), Vec::<Value>::new());

    hovers(&mut c, uri);

    navigation(&mut c, uri);

    symbols_folding_formatting(&mut c, uri);

    // A motif: its instances in the network, with their cost.
    let hier = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hierarchical_fmnist.nas"
    ))
    .unwrap();
    let line = hier.lines().position(|l| l.starts_with("let a = motif")).unwrap() as u32;
    let huri = "file:///tmp/hier.nas";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": huri, "languageId": "nas", "version": 1, "text": hier}}),
    );
    let h = c.at("textDocument/hover", huri, line, 4);
    let text = h["result"]["contents"]["value"].as_str().unwrap().to_string();
    assert!(
        text.contains("4 instances in the network") && text.contains("multiply-adds"),
        "{text}"
    );

    // A request the server cannot answer: an error response, and the server is still there.
    let bad = c.request("textDocument/hover", json!({"textDocument": {"uri": "file:///not/open.nas"}, "position": {"line": 0, "character": 0}}));
    assert!(bad["error"]["message"].as_str().unwrap().contains("not open"), "{bad}");
    let bad = c.request("nasc/unknown", json!({}));
    assert_eq!(bad["error"]["code"], -32601);
    assert_eq!(c.at("textDocument/hover", uri, 3, 11)["result"]["contents"]["kind"], "markdown");

    assert!(c.request("shutdown", json!(null))["error"].is_null());
    c.notify("exit", json!(null));
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if let Some(st) = c.child.try_wait().unwrap() {
            assert!(st.success());
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the server did not exit");
}

/// Hover: a parameter (type, domain, value); a stage (shape, params, multiply-adds); a
/// generator (the graph drawn); a built-in (its signature).
fn hovers(c: &mut Client, uri: &str) {
    let h = c.at("textDocument/hover", uri, 3, 11);
    let text = h["result"]["contents"]["value"].as_str().unwrap().to_string();
    assert!(
        text.contains("C: int in {8, 16} = 8")
            && text.contains("value: `8`")
            && text.contains("searchable"),
        "{text}"
    );
    let h = c.at("textDocument/hover", uri, 6, 11);
    let text = h["result"]["contents"]["value"].as_str().unwrap().to_string();
    assert!(
        text.contains("**stage** `s`")
            && text.contains("[8, 28, 28]")
            && text.contains("multiply-adds"),
        "{text}"
    );
    let h = c.at("textDocument/hover", uri, 7, 22);
    let text = h["result"]["contents"]["value"].as_str().unwrap().to_string();
    assert!(text.contains("random graph: 6 nodes"), "{text}");
    let h = c.at("textDocument/hover", uri, 6, 16);
    let text = h["result"]["contents"]["value"].as_str().unwrap().to_string();
    assert!(text.contains("conv(kernel, out"), "{text}");
}

/// Definition, references and completion.
fn navigation(c: &mut Client, uri: &str) {
    // Definition and references: `body` used on line 8, defined on line 1 (after non-ASCII
    // text on line 0, which must not shift columns).
    let d = c.at("textDocument/definition", uri, 8, 15);
    assert_eq!(
        d["result"]["range"],
        json!({"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 8}})
    );
    let r = c.at("textDocument/references", uri, 1, 5);
    assert_eq!(r["result"].as_array().unwrap().len(), 2, "{r}");
    let r = c.at("textDocument/references", uri, 3, 10);
    assert_eq!(r["result"].as_array().unwrap().len(), 3, "C: its declaration and two uses: {r}");

    // Completion inside `conv(`: its keyword arguments first; ops and names in scope.
    let cmp = c.at("textDocument/completion", uri, 6, 19);
    assert!(cmp["result"].is_array(), "{cmp}");
    let labels: Vec<String> = cmp["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect();
    for want in ["stride=", "groups=", "sep_conv", "body", "C", "network"] {
        assert!(labels.iter().any(|l| l == want), "{want} missing from {labels:?}");
    }
}

/// Symbols, folding, formatting.
fn symbols_folding_formatting(c: &mut Client, uri: &str) {
    let s = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let names: Vec<&str> =
        s["result"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["body", "n"]);
    let children: Vec<&str> = s["result"][1]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["C", "s", "g", "b", "head"]);
    let f = c.request("textDocument/foldingRange", json!({"textDocument": {"uri": uri}}));
    assert!(f["result"].as_array().unwrap().iter().any(|r| r["startLine"] == 3), "{f}");
    let ugly = GOOD.replace("stage s = conv(3x3, C)", "stage s=conv( 3x3,C )");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": ugly}]}),
    );
    let e = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(e["result"][0]["newText"], GOOD, "{e}");
}

/// A message header claiming an absurd size is refused before anything is allocated: the
/// client is told why, and the server exits 1 (it used to abort, exit 134, inside the
/// reader's allocation).
#[test]
fn an_oversized_message_is_an_error_not_an_abort() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"Content-Length: 99999999999\r\n\r\n{}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("exceeds nasc's limit"), "{stderr}");
    assert!(stdout.contains("window/showMessage") && stdout.contains("exceeds"), "{stdout}");
}
