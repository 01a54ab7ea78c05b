//! The server's transport over standard input and output. lsp-server's own reads whatever
//! size a message's header claims into memory (`Content-Length: 99999999999` aborted the
//! process); this one bounds every header line and every message, tells the client (and
//! stderr) about a message it cannot read, and stops with a [`TransportError`] when the
//! stream cannot be followed any more.

use crossbeam_channel::{Receiver, Sender, bounded};
use lsp_server::{Connection, Message, Notification};
use std::io::{self, BufRead, Read, Write};
use std::thread::JoinHandle;

/// The largest message read: a document of nasc's largest source size, JSON-escaped (at
/// most six bytes per byte), with room for the envelope.
pub const MAX_MESSAGE_BYTES: usize = 6 * nasc_core::limits::MAX_SOURCE_BYTES + (1 << 16);
/// The longest header line read.
const MAX_HEADER_LINE: usize = 1024;

/// Why the server stopped reading its input.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot read the client's messages: {0}")]
    Io(#[from] io::Error),
    #[error("malformed message header: {0}")]
    Header(String),
    #[error("a message of {size} bytes exceeds nasc's limit of {MAX_MESSAGE_BYTES} bytes")]
    TooLarge { size: u64 },
}

/// One message read: a message, or one that is well framed but not a JSON-RPC message.
enum Frame {
    Message(Message),
    Garbled(String),
}

/// The reader and writer threads of [`stdio`].
pub struct IoThreads {
    reader: JoinHandle<Result<(), TransportError>>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// After the server stopped on an error: when the reader has stopped too (the input
    /// could not be followed), waits for the writer to send what the reader queued for the
    /// client and returns the reader's error; a reader still waiting for input is left (after
    /// half a second), as the process is about to exit.
    pub fn join_stopped(self) -> Option<TransportError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while !self.reader.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if self.reader.is_finished() { self.join().err() } else { None }
    }

    /// Waits for both threads; the reader's error first.
    pub fn join(self) -> Result<(), TransportError> {
        let read = self.reader.join().unwrap_or(Ok(()));
        let written = self.writer.join().unwrap_or(Ok(()));
        read?;
        written.map_err(TransportError::Io)
    }
}

/// A connection over standard input and output with bounded reads.
pub fn stdio() -> (Connection, IoThreads) {
    let (to_client, outgoing) = bounded::<Message>(0);
    let writer = std::thread::spawn(move || write_all(outgoing, io::stdout()));
    let (incoming, from_client) = bounded::<Message>(0);
    let errors = to_client.clone();
    let reader = std::thread::spawn(move || read_all(io::stdin().lock(), &incoming, &errors));
    (Connection { sender: to_client, receiver: from_client }, IoThreads { reader, writer })
}

fn write_all(outgoing: Receiver<Message>, out: impl Write) -> io::Result<()> {
    let mut out = out;
    for msg in outgoing {
        msg.write(&mut out)?;
    }
    Ok(())
}

/// Reads messages until the input ends or the client says `exit`; a message that is not
/// JSON-RPC is answered with a parse error, a stream that cannot be followed (a header that
/// is not one, a size over the limit) with an error before the reader stops.
fn read_all(
    mut input: impl BufRead,
    incoming: &Sender<Message>,
    errors: &Sender<Message>,
) -> Result<(), TransportError> {
    loop {
        match read(&mut input) {
            Ok(None) => return Ok(()),
            Ok(Some(Frame::Message(msg))) => {
                let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                if incoming.send(msg).is_err() || exit {
                    return Ok(());
                }
            }
            Ok(Some(Frame::Garbled(why))) => {
                let _ = errors.send(error("unreadable message", why));
            }
            Err(e) => {
                let _ = errors.send(error("stopping", e.to_string()));
                return Err(e);
            }
        }
    }
}

/// The client is told what went wrong with a message it sent: `window/showMessage` (an
/// error response needs the request's id, which could not be read), and so is stderr.
fn error(kind: &str, message: String) -> Message {
    eprintln!("nasc lsp: {kind}: {message}");
    let params = serde_json::json!({"type": 1, "message": format!("nasc lsp: {kind}: {message}")});
    Message::Notification(Notification::new("window/showMessage".into(), params))
}

/// One header line, without its `\r\n`; `None` at the end of the input.
fn header_line(input: &mut impl BufRead) -> Result<Option<String>, TransportError> {
    let mut line = Vec::new();
    let n = input.by_ref().take(MAX_HEADER_LINE as u64 + 1).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.len() > MAX_HEADER_LINE || !line.ends_with(b"\r\n") {
        let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
        return Err(TransportError::Header(format!("{shown:?}")));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map(Some).map_err(|e| TransportError::Header(e.to_string()))
}

fn read(input: &mut impl BufRead) -> Result<Option<Frame>, TransportError> {
    let mut size: Option<u64> = None;
    loop {
        let Some(line) = header_line(input)? else { return Ok(None) };
        if line.is_empty() {
            break;
        }
        let (name, value) =
            line.split_once(": ").ok_or_else(|| TransportError::Header(format!("{line:?}")))?;
        if name.eq_ignore_ascii_case("Content-Length") {
            let n = value.trim().parse::<u64>();
            size = Some(n.map_err(|_| TransportError::Header(format!("{line:?}")))?);
        }
    }
    let size = size.ok_or_else(|| TransportError::Header("no Content-Length".into()))?;
    if size > MAX_MESSAGE_BYTES as u64 {
        return Err(TransportError::TooLarge { size });
    }
    let mut body = vec![0u8; size as usize];
    input.read_exact(&mut body)?;
    Ok(Some(match serde_json::from_slice::<Message>(&body) {
        Ok(msg) => Frame::Message(msg),
        Err(e) => Frame::Garbled(format!("not a JSON-RPC message: {e}")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> (Vec<String>, Result<(), TransportError>) {
        let (incoming, rx) = bounded::<Message>(16);
        let (errors, erx) = bounded::<Message>(16);
        let r = read_all(input, &incoming, &errors);
        drop((incoming, errors));
        let mut seen: Vec<String> = rx.iter().map(|m| format!("{m:?}")).collect();
        seen.extend(erx.iter().map(|m| format!("error {m:?}")));
        (seen, r)
    }

    #[test]
    fn an_oversized_message_is_refused_before_anything_is_allocated() {
        let (seen, r) = frames(b"Content-Length: 99999999999\r\n\r\n{}");
        assert!(matches!(r, Err(TransportError::TooLarge { size: 99_999_999_999 })), "{r:?}");
        assert!(seen.iter().any(|s| s.starts_with("error") && s.contains("exceeds")), "{seen:?}");
    }

    #[test]
    fn garbled_bodies_get_a_parse_error_and_the_stream_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\nhello\r\nContent-Length: {}\r\n\r\n{good}",
            good.len()
        );
        // The stray "\r\n" before the second header is a blank header line: a frame with no
        // length, which ends the stream with an error after the good message is not reached.
        let (seen, r) = frames(input.as_bytes());
        assert!(seen.iter().any(|s| s.contains("not a JSON-RPC message")), "{seen:?}");
        assert!(r.is_err());
        let input =
            format!("Content-Length: 5\r\n\r\nhelloContent-Length: {}\r\n\r\n{good}", good.len());
        let (seen, r) = frames(input.as_bytes());
        assert!(r.is_ok(), "{r:?}");
        assert!(seen.iter().any(|s| s.contains("initialized")), "{seen:?}");
    }

    #[test]
    fn headers_are_bounded_and_must_be_well_formed() {
        let long = format!("X-Long: {}\r\n\r\n", "a".repeat(5000));
        assert!(matches!(frames(long.as_bytes()).1, Err(TransportError::Header(_))));
        assert!(matches!(frames(b"Content-Length: 12\n\n").1, Err(TransportError::Header(_))));
        assert!(matches!(frames(b"\r\n").1, Err(TransportError::Header(_))));
        assert!(frames(b"").1.is_ok());
    }
}
