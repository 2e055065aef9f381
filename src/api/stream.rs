//! Streamed response bodies: a blocking writer on a worker thread feeds chunks through a
//! bounded channel, so an export is sent while it is written and never held whole.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::web::Bytes;
use tokio::sync::mpsc;

/// Bytes per chunk sent to the client.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the writer and the connection.
const IN_FLIGHT: usize = 8;

/// The receiving end: a body stream for `HttpResponse::streaming`.
pub struct ChannelBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for ChannelBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// The writing end: buffers, then sends full chunks (blocking while the client is slow).
/// Writing fails once the client has gone, which stops the export.
pub struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }

    /// Ends the body with an error (the client sees a cut connection, not a whole file).
    pub fn fail(self, error: std::io::Error) {
        // The client may be gone already; then there is no one to tell.
        let _ = self.sender.blocking_send(Err(error));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A connected writer and body.
pub fn channel() -> (ChannelWriter, ChannelBody) {
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    (
        ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
        },
        ChannelBody(receiver),
    )
}

/// Runs `write` on a blocking thread into a channel and returns the channel's body: a
/// failure part-way is logged as `what` and ends the body with an error, so the client
/// sees a cut transfer rather than a short file that looks whole.
pub fn written_off_thread<E: std::fmt::Display>(
    what: &'static str,
    write: impl FnOnce(&mut ChannelWriter) -> Result<(), E> + Send + 'static,
) -> ChannelBody {
    let (mut writer, body) = channel();
    actix_web::rt::task::spawn_blocking(move || {
        let result = write(&mut writer).map_err(|e| std::io::Error::other(e.to_string()));
        if let Err(e) = result.and_then(|()| writer.flush()) {
            tracing::warn!(error = %e, "{what} stopped");
            writer.fail(e);
        }
    });
    body
}

/// A streamed download named `filename`, read at graph `version`.
pub fn attachment(
    version: u64,
    media_type: &str,
    filename: &str,
    body: ChannelBody,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    super::version::versioned(
        actix_web::HttpResponse::build(actix_web::http::StatusCode::OK),
        version,
    )
    .insert_header((header::CONTENT_TYPE, media_type.to_string()))
    .insert_header((
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    ))
    .streaming(body)
}
