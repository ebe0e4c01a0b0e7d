//! Sharing one serial port between `loader listen` and the other verbs.
//!
//! QEMU's TCP console (like a tty that only one program may hold) takes one
//! client at a time, so a running `listen` would lock every other command
//! out. `listen` therefore also serves a local Unix socket named after the
//! port; another verb for the same port finds that socket and sends its
//! frames through it. `listen` forwards the socket's bytes to the device
//! (holding back what is typed meanwhile, so no keystroke lands inside a
//! frame) and every byte from the device to the socket, while it still
//! shows the console. One verb at a time is served; a stale socket (a
//! killed `listen`) is ignored.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// The socket `listen` serves for `port`: in `$XDG_RUNTIME_DIR` (private
/// to the user) or else the temporary directory, named after the port.
pub fn socket_path(port: &str) -> PathBuf {
    let directory = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|value| !value.is_empty())
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let name: String = port
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    directory.join(format!("loader-{name}.sock"))
}

/// A connection to the `listen` serving `port`, when one runs.
pub fn connect(port: &str) -> Option<UnixStream> {
    UnixStream::connect(socket_path(port)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_map_to_distinct_socket_names() {
        let tcp = socket_path("tcp:127.0.0.1:4444");
        let tty = socket_path("/dev/ttyUSB0");
        assert!(tcp.ends_with("loader-tcp_127_0_0_1_4444.sock"), "{tcp:?}");
        assert!(tty.ends_with("loader-_dev_ttyUSB0.sock"), "{tty:?}");
    }
}
