//! `listen`'s side of port sharing (`loader_cli::transport::shared_port`):
//! the local socket other verbs reach the device through while `listen`
//! holds the port.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use loader_cli::transport::shared_port;

/// The device's write half, shared by what is typed and the socket's
/// client (a client holds it for its whole session: no keystroke can land
/// inside one of its frames).
pub type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// The verb connected through the socket, which receives every byte the
/// device sends while it is connected.
#[derive(Clone, Default)]
pub struct Client(Arc<Mutex<Option<UnixStream>>>);

impl Client {
    /// Pass bytes from the device on to the connected verb, if any.
    pub fn forward(&self, bytes: &[u8]) {
        let mut client = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(stream) = client.as_mut() {
            if stream.write_all(bytes).is_err() {
                *client = None;
            }
        }
    }
}

/// The socket file, removed when `listen` ends.
pub struct Served(PathBuf);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether a `listen` already serves `port` (then a second one would only
/// be its client).
pub fn is_served(port: &str) -> bool {
    shared_port::connect(port).is_some()
}

/// Serve `port`'s socket: each verb that connects gets the device until it
/// disconnects.
pub fn serve(port: &str, writer: SharedWriter, client: Client) -> Result<Served> {
    let path = shared_port::socket_path(port);
    // A socket nobody answers on is left by a listen that was killed.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("serving {port} to other verbs at {}", path.display()))?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve_one(stream, &writer, &client);
        }
    });
    Ok(Served(path))
}

fn serve_one(mut stream: UnixStream, writer: &SharedWriter, client: &Client) {
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    *client.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(clone);
    let mut device = writer.lock().unwrap_or_else(PoisonError::into_inner);
    let mut buffer = [0u8; 1024];
    while let Ok(count) = stream.read(&mut buffer) {
        if count == 0 || device.write_all(&buffer[..count]).is_err() {
            break;
        }
        let _ = device.flush();
    }
    *client.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
}
