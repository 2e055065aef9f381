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
