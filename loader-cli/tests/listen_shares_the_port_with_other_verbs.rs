//! While `loader listen` holds a port that takes one client (QEMU's TCP
//! console), other verbs for the same port still work: they go through
//! the local socket `listen` serves, and `listen` keeps showing the
//! console. A second `listen` on the port is refused with the reason.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{loader, scratch};

#[test]
fn other_verbs_reach_the_device_through_a_running_listen() {
    let runtime = scratch("listen-share");
    let port = common::tcp_bootloader::serve_once("shared", b"console says hi\n");
    let socket = runtime.join(format!(
        "loader-{}.sock",
        port.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    ));
    let mut listen = Command::new(loader())
        .args(["listen", "--port", &port])
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !socket.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "listen never served {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The device takes no second connection: this works only through listen.
    let attributes = Command::new(loader())
        .args(["list-attributes"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("LOADER_PORT", &port)
        .output()
        .unwrap();
    let second_listen = Command::new(loader())
        .args(["listen", "--port", &port])
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    listen.kill().unwrap();
    let listened = listen.wait_with_output().unwrap();
    assert!(
        attributes.status.success(),
        "{}",
        String::from_utf8_lossy(&attributes.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&attributes.stdout),
        "board = shared\n"
    );
    assert_eq!(second_listen.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second_listen.stderr).contains("already holds this port"));
    let console = String::from_utf8_lossy(&listened.stdout);
    assert!(console.contains("console says hi"), "{console}");
}
